/**
 * Wire types and helpers of the fake OpenAI server (test/support/fake-openai.ts): the
 * request/behaviour types, token counting with js-tiktoken's bundled o200k ranks, the
 * default reply, OpenAI-shaped error bodies and deterministic embeddings.
 */
import type http from 'node:http';
import { createHash } from 'node:crypto';
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';

export interface RecordedCall {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON body (or the raw text when it is not JSON; undefined for GET). */
  body: unknown;
  /** Epoch ms when the request arrived. */
  at: number;
  /** The behaviour that was applied to this request, if any. */
  behaviour?: Behaviour;
  /** True when the client closed the connection before the response was complete (an abort). */
  clientClosed?: boolean;
}

/** One scripted behaviour, consumed by one chat/embeddings request. */
export type Behaviour =
  | {
      /** Reply with this HTTP status and an OpenAI-shaped error body. */
      status: number;
      /** Retry-After header: seconds (number) or an HTTP date (string). */
      retryAfter?: number | string;
      /** retry-after-ms header. */
      retryAfterMs?: number;
      /** `error.code` in the body, e.g. `insufficient_quota`. Defaults by status. */
      code?: string;
      message?: string;
    }
  /** Accept the request and never answer. */
  | { hang: true }
  /** Streaming: send the role chunk and the first token, then nothing. Non-streaming: hang. */
  | { stallAfterFirstToken: true }
  /** Send the headers and part of the reply, then destroy the socket. */
  | { cutStream: true }
  /** Streaming: send part of the reply, then end the response cleanly with no finish reason and no [DONE]. */
  | { truncateStream: true }
  /** Streaming: send the headers, then only SSE keep-alive comments (no chunk) every `everyMs` (default 50) until the client goes. Non-streaming: hang. */
  | { keepAliveOnly: true; everyMs?: number }
  /** Answer this one request with this text (instead of the responder). */
  | { reply: string; finishReason?: string }
  /**
   * Answer this one request with tool calls (parallel when several), optionally after some
   * text; finish reason `tool_calls` unless given. A script of turns is a series of these
   * and `reply` behaviours.
   */
  | { toolCalls: FakeToolCall[]; content?: string; finishReason?: string };

/** One scripted tool call. `arguments`: an object (serialised) or a raw string (sent as is, e.g. broken JSON). */
export interface FakeToolCall {
  /** Call id (default `call_fake<n>`). */
  id?: string;
  name: string;
  arguments?: unknown;
}

export interface ChatMessage {
  role: string;
  content: unknown;
  [k: string]: unknown;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
  temperature?: number;
  [k: string]: unknown;
}

export type ResponderResult =
  | string
  | {
      /** The reply text. */
      content?: string;
      /** Serialised with JSON.stringify as the reply text. */
      json?: unknown;
      finishReason?: string;
      /** Tool calls to answer with (see the `toolCalls` behaviour). */
      toolCalls?: FakeToolCall[];
    };

export type Responder = (req: ChatRequest, call: RecordedCall) => ResponderResult | Promise<ResponderResult>;

export interface FakeOpenAIOptions {
  port?: number;
  host?: string;
  /** Delay before every answer (ms). */
  latencyMs?: number;
  /** Delay between streamed chunks (ms). */
  tokenDelayMs?: number;
  /** Embedding dimensions when the request does not say (default 64). */
  embeddingDims?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get 401. */
  apiKey?: string;
  models?: string[];
  responder?: Responder;
  /** Report no `usage` at all (like some OpenAI-compatible servers). */
  omitUsage?: boolean;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  url: string;
  port: number;
  calls: RecordedCall[];
  setResponder(fn: Responder | undefined): void;
  setLatency(ms: number): void;
  setTokenDelay(ms: number): void;
  setOmitUsage(omit: boolean): void;
  enqueue(...behaviours: Behaviour[]): void;
  /** Clear calls, queued behaviours, responder and latency. */
  reset(): void;
  close(): Promise<void>;
}

let encoder: Tiktoken | undefined;
export function getEncoder(): Tiktoken {
  encoder ??= new Tiktoken(o200k);
  return encoder;
}
/** Tokens of a text with the o200k encoding (GPT-4o family). */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200k);
  return encoder.encode(text).length;
}

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .join('');
  }
  return content == null ? '' : JSON.stringify(content);
}

/** Prompt tokens counted the way OpenAI documents for chat: ~3 per message + 3 priming. */
export function promptTokens(messages: ChatMessage[]): number {
  let n = 3;
  for (const m of messages) n += 3 + countTokens(contentText(m.content)) + (typeof m.name === 'string' ? 1 : 0);
  return n;
}

export function defaultReply(req: ChatRequest): string {
  const lastUser = [...(req.messages ?? [])].reverse().find((m) => m.role === 'user');
  return `Echo: ${lastUser ? contentText(lastUser.content) : ''}`;
}

/** Split a reply into stream chunks: words with their trailing whitespace. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [];
}

export function errorCode(status: number): { type: string; code: string | null; message: string } {
  if (status === 401)
    return { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' };
  if (status === 429)
    return { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests.' };
  if (status === 404)
    return { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' };
  if (status === 400) return { type: 'invalid_request_error', code: null, message: 'Bad request.' };
  if (status >= 500)
    return { type: 'server_error', code: null, message: 'The server had an error while processing your request.' };
  return { type: 'invalid_request_error', code: null, message: `HTTP ${status}` };
}

export function embedding(text: string, dims: number): number[] {
  const out: number[] = [];
  let block = 0;
  while (out.length < dims) {
    const h = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 4 <= h.length && out.length < dims; i += 4) out.push(h.readUInt32LE(i) / 0xffffffff - 0.5);
    block++;
  }
  const norm = Math.sqrt(out.reduce((s, v) => s + v * v, 0)) || 1;
  return out.map((v) => v / norm);
}

export function toBase64(vec: number[]): string {
  const f = new Float32Array(vec);
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64');
}
