/**
 * Text embeddings by model id: `openai:<model>` (OpenAI or any OpenAI-compatible server,
 * `POST {base}/embeddings`) and `ollama:<model>` (`POST {base}/api/embed`). Same
 * configuration, keep-alive fetch and error mapping as chat models; inputs are sent in
 * batches; usage and cost are reported.
 */
import type { Config } from '../config';
import type { TokenUsage } from '../../shared';
import { NodeError } from '../runtime/types';
import { fastFetch, type FetchFn } from './fast-fetch';
import { toProviderNodeError } from './errors';
import {
  parseModelId,
  notConfiguredMessage,
  isProviderConfigured,
  providerBaseUrl,
  baseUrlEnv,
  providerSecrets,
  PLACEHOLDER_API_KEY,
} from './providers';
import { costOf } from './prices';

export interface EmbedResult {
  /** One vector per input, in input order. */
  vectors: number[][];
  usage: TokenUsage;
  /** USD; null when the price is unknown. */
  cost: number | null;
}

export interface Embedder {
  modelId: string;
  embed(texts: string[], opts?: { signal?: AbortSignal }): Promise<EmbedResult>;
}

export interface EmbedderOptions {
  /** Inputs per request (default 256). */
  batchSize?: number;
  /** Requested dimensions (OpenAI text-embedding-3 models and compatible servers). */
  dimensions?: number;
  fetch?: FetchFn;
}

/** An error with the HTTP facts toProviderNodeError reads. */
class ProviderHttpError extends Error {
  readonly status: number;
  readonly headers: Headers;
  readonly error: unknown;
  constructor(status: number, headers: Headers, bodyText: string) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bodyText);
    } catch {
      parsed = undefined;
    }
    const inner = (parsed as { error?: unknown } | undefined)?.error;
    const msg =
      typeof inner === 'string'
        ? inner
        : ((inner as { message?: string } | undefined)?.message ?? bodyText.slice(0, 300));
    super(msg || `HTTP ${status}`);
    this.status = status;
    this.headers = headers;
    this.error = inner;
  }
}

async function postJson(
  f: FetchFn,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const res = await f(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal,
  });
  const text = await res.text();
  if (!res.ok) throw new ProviderHttpError(res.status, res.headers, text);
  return JSON.parse(text) as unknown;
}

function decodeVector(v: unknown): number[] {
  if (Array.isArray(v)) return v as number[];
  if (typeof v === 'string') {
    const buf = Buffer.from(v, 'base64');
    return Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  }
  throw new NodeError('llm_error', 'the embeddings response has no vector');
}

/** An embedder for `openai:<model>` or `ollama:<model>`. Throws `provider_not_configured`. */
export function createEmbedder(
  modelId: string,
  config: Pick<Config, 'providers'>,
  opts: EmbedderOptions = {},
): Embedder {
  const { provider, model } = parseModelId(modelId);
  if (provider === 'anthropic')
    throw new NodeError(
      'invalid_model',
      `"${modelId}": Anthropic has no embeddings API; use openai:<model> or ollama:<model>`,
    );
  if (!isProviderConfigured(provider, config))
    throw new NodeError('provider_not_configured', notConfiguredMessage(provider));
  const f = opts.fetch ?? fastFetch;
  const batchSize = opts.batchSize ?? 256;
  const base = (providerBaseUrl(provider, config) ?? '').replace(/\/+$/, '');
  const errorCtx = { provider, secrets: providerSecrets(config), baseUrl: base, baseUrlEnv: baseUrlEnv(provider) };

  async function batch(texts: string[], signal?: AbortSignal): Promise<{ vectors: number[][]; tokens: number }> {
    if (provider === 'openai') {
      const json = (await postJson(
        f,
        `${base}/embeddings`,
        { authorization: `Bearer ${config.providers.openai.apiKey ?? PLACEHOLDER_API_KEY}` },
        { model, input: texts, ...(opts.dimensions ? { dimensions: opts.dimensions } : {}) },
        signal,
      )) as { data?: Array<{ index: number; embedding: unknown }>; usage?: { prompt_tokens?: number } };
      const data = [...(json.data ?? [])].sort((a, b) => a.index - b.index);
      return { vectors: data.map((d) => decodeVector(d.embedding)), tokens: json.usage?.prompt_tokens ?? 0 };
    }
    const json = (await postJson(
      f,
      `${base}/api/embed`,
      {},
      { model, input: texts, ...(opts.dimensions ? { dimensions: opts.dimensions } : {}) },
      signal,
    )) as {
      embeddings?: number[][];
      prompt_eval_count?: number;
    };
    return { vectors: json.embeddings ?? [], tokens: json.prompt_eval_count ?? 0 };
  }

  return {
    modelId,
    async embed(texts, { signal } = {}) {
      const vectors: number[][] = [];
      let tokens = 0;
      for (let i = 0; i < texts.length; i += batchSize) {
        const part = texts.slice(i, i + batchSize);
        let r: { vectors: number[][]; tokens: number };
        try {
          r = await batch(part, signal);
        } catch (err) {
          throw toProviderNodeError(err, { ...errorCtx, signal });
        }
        if (r.vectors.length !== part.length) {
          throw new NodeError(
            'llm_error',
            `${provider} returned ${r.vectors.length} embeddings for ${part.length} inputs`,
          );
        }
        vectors.push(...r.vectors);
        tokens += r.tokens;
      }
      const usage: TokenUsage = { promptTokens: tokens, completionTokens: 0, totalTokens: tokens };
      return { vectors, usage, cost: costOf(modelId, usage) };
    },
  };
}
