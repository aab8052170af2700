/**
 * The knowledge base's view of an embedding model: a function from texts to vectors, over
 * the one embeddings client in server/llm/embeddings.ts (keep-alive fetch, batching,
 * Retry-After and provider error mapping), with its errors turned into knowledge errors.
 * These are operator-configured URLs, not user URLs, so they do not go through the SSRF guard.
 */
import type { Config } from '../config';
import { createEmbedder as createProviderEmbedder } from '../llm/embeddings';
import { NodeError } from '../runtime/types';
import { KnowledgeError } from './types';

export type Embedder = (texts: string[], signal?: AbortSignal) => Promise<number[][]>;

function toKnowledgeError(err: unknown, model: string): unknown {
  if (!(err instanceof NodeError)) return err;
  if (err.code === 'provider_not_configured')
    return new KnowledgeError('no_embedding_model', `embedding model ${model}: ${err.message}`, { cause: err });
  if (err.code === 'invalid_model')
    return new KnowledgeError('invalid', `unknown embedding model "${model}": ${err.message}`, { cause: err });
  return new KnowledgeError('embedding_failed', `embedding with ${model} failed: ${err.message}`, { cause: err });
}

/** Build an embedder for a model id, or throw a clear error when its provider is not configured. */
export function createEmbedder(model: string, config: Pick<Config, 'providers'>): Embedder {
  let embedder: ReturnType<typeof createProviderEmbedder>;
  try {
    embedder = createProviderEmbedder(model, config, { batchSize: 128 });
  } catch (err) {
    throw toKnowledgeError(err, model);
  }
  return async (texts, signal) => {
    try {
      return (await embedder.embed(texts, { signal })).vectors;
    } catch (err) {
      throw toKnowledgeError(err, model);
    }
  };
}
