/**
 * The model calls metrics make: chat (LLM-as-judge, RAG triad) through the providers'
 * `createChatModel`, and embeddings through `createEmbedder` (server/llm/embeddings.ts).
 * Failures are mapped to NodeError so the
 * evaluation runner can tell a rate limit (retry later) from a real failure.
 */
import type { TokenUsage } from '../../../shared';
import type { Config } from '../../config';
import { createEmbedder } from '../../llm/embeddings';
import { toProviderNodeError } from '../../llm/errors';
import type { FetchFn } from '../../llm/fast-fetch';
import { createChatModel, providerSecrets } from '../../llm/providers';
import { NodeError } from '../../runtime/types';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export type ChatFn = (
  messages: ChatMessage[],
  opts: { model: string; signal?: AbortSignal },
) => Promise<{ text: string; usage?: TokenUsage }>;

export type EmbedFn = (texts: string[], opts: { model: string; signal?: AbortSignal }) => Promise<number[][]>;

export function defaultChat(config: Config): ChatFn {
  return async (messages, { model, signal }) => {
    const chat = createChatModel(model, config, { temperature: 0 });
    try {
      const msg = await chat.invoke(
        messages.map((m) => [m.role === 'user' ? 'human' : 'system', m.content] as [string, string]),
        { signal },
      );
      const content = msg.content;
      const text =
        typeof content === 'string'
          ? content
          : content
              .map((p) => (typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : ''))
              .join('');
      const u = (msg as { usage_metadata?: { input_tokens: number; output_tokens: number; total_tokens: number } })
        .usage_metadata;
      return {
        text,
        usage: u
          ? { promptTokens: u.input_tokens, completionTokens: u.output_tokens, totalTokens: u.total_tokens }
          : undefined,
      };
    } catch (e) {
      throw toProviderNodeError(e, { provider: model.split(':')[0], signal, secrets: providerSecrets(config) });
    }
  };
}

/** Embeddings through the shared `createEmbedder`; a bare model name means `openai:<name>`. */
export function defaultEmbed(config: Config, fetchFn?: FetchFn): EmbedFn {
  return async (texts, { model, signal }) => {
    const id = model.includes(':') ? model : `openai:${model}`;
    if (!id.startsWith('openai:'))
      throw new NodeError(
        'invalid_model',
        `embedding model "${model}": only openai:<model> (any OpenAI-compatible server) is supported`,
      );
    const { vectors } = await createEmbedder(id, config, { fetch: fetchFn }).embed(texts, { signal });
    return vectors;
  };
}

/** Pull `{"score": n, "reason": "..."}` out of a model reply (tolerates prose and code fences). */
export function parseJudgeReply(text: string): { score: number; reason: string } {
  const candidates = text.match(/\{[\s\S]*\}/g) ?? [];
  for (const c of candidates) {
    try {
      const v = JSON.parse(c) as { score?: unknown; reason?: unknown };
      const score = typeof v.score === 'number' ? v.score : Number(v.score);
      if (Number.isFinite(score)) return { score, reason: typeof v.reason === 'string' ? v.reason : '' };
    } catch {
      /* try the next candidate */
    }
  }
  const m = /score\s*[:=]\s*(-?\d+(?:\.\d+)?)/i.exec(text);
  if (m) return { score: Number(m[1]), reason: text.trim() };
  throw new NodeError('judge_unparseable', `the judge did not return a score: ${text.slice(0, 200)}`);
}
