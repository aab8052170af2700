/**
 * Reading a model's reply for the prompt node: text of a message's content, usage and
 * finish reason from provider metadata, and a stream read under a stall deadline on every
 * chunk (the first one included; keep-alive comments are not chunks).
 */
import type { AIMessageChunk, BaseMessage } from '@langchain/core/messages';
import type { ChatGenerationChunk } from '@langchain/core/outputs';
import { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { PromptConfig } from '../../../shared/nodes/prompt';
import { NodeError, type NodeContext } from '../types';
import { raceAbort } from '../../net/abort';

export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) =>
        typeof p === 'string'
          ? p
          : p && typeof p === 'object' && (p as { type?: string }).type === 'text'
            ? String((p as { text?: unknown }).text ?? '')
            : '',
      )
      .join('');
  }
  return '';
}

export interface UsageMeta {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
}

export function finishReasonOf(meta: Record<string, unknown> | undefined | null): string | undefined {
  if (!meta) return undefined;
  for (const k of ['finish_reason', 'stop_reason', 'done_reason']) {
    const v = meta[k];
    if (typeof v === 'string' && v) return v;
  }
  if (meta.done === true) return 'stop';
  return undefined;
}

export function addUsage(a: UsageMeta | undefined, b: UsageMeta): UsageMeta {
  if (!a) return { ...b };
  return {
    input_tokens: (a.input_tokens ?? 0) + (b.input_tokens ?? 0),
    output_tokens: (a.output_tokens ?? 0) + (b.output_tokens ?? 0),
    total_tokens: (a.total_tokens ?? 0) + (b.total_tokens ?? 0),
  };
}

export interface Reply {
  text: string;
  usage?: UsageMeta;
  finishReason?: string;
  responseModel?: string;
}

/** The stall error: no chunk for `stallMs` (keep-alive comments are not chunks). */
export function stallError(stallMs: number, chars: number, started: boolean): NodeError {
  return new NodeError(
    'stream_stalled',
    started
      ? `the model stream stalled: no data for ${stallMs} ms after ${chars} characters`
      : `the model stream sent no data for ${stallMs} ms (before the first token)`,
    { retryable: true },
  );
}

/** Settle with `p`, or reject with a stall error when it takes longer than `stallMs`. */
export async function withinStall<T>(
  p: Promise<T>,
  stallMs: number,
  onStall: () => void,
  stalled: () => NodeError,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'stalled'>((resolve) => {
    timer = setTimeout(() => resolve('stalled'), stallMs);
  });
  try {
    const r = await Promise.race([p, deadline]);
    if (r === 'stalled') {
      onStall();
      p.catch(() => undefined);
      throw stalled();
    }
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Iterate a stream with a deadline on every chunk, the first one included: a server that
 * sends only keep-alive comments (which yield no chunk) stalls like a silent one.
 */
export async function readStream(
  stream: AsyncIterable<AIMessageChunk>,
  ctx: NodeContext<PromptConfig>,
  stallMs: number,
  onStall: () => void,
): Promise<Reply> {
  const it = stream[Symbol.asyncIterator]();
  let text = '';
  let usage: UsageMeta | undefined;
  let finishReason: string | undefined;
  let responseModel: string | undefined;
  let started = false;
  for (;;) {
    const result = await withinStall(
      it.next(),
      stallMs,
      () => {
        onStall();
        void it.return?.(undefined)?.catch(() => undefined);
      },
      () => stallError(stallMs, text.length, started),
    );
    if (result.done) break;
    started = true;
    const chunk = result.value;
    const piece = contentText(chunk.content);
    if (piece) {
      text += piece;
      ctx.emitToken(piece);
    }
    // Anthropic splits usage over message_start (input) and message_delta (output): sum.
    if (chunk.usage_metadata) usage = addUsage(usage, chunk.usage_metadata);
    // Anthropic's stop_reason arrives in the message_delta's additional_kwargs.
    finishReason = finishReasonOf(chunk.response_metadata) ?? finishReasonOf(chunk.additional_kwargs) ?? finishReason;
    const m = chunk.response_metadata?.model_name ?? chunk.response_metadata?.model;
    if (typeof m === 'string') responseModel = m;
  }
  return { text, usage, finishReason, responseModel };
}

/** The parts of a LangChain chat model the direct stream uses (`_streamResponseChunks` is each integration's own generator). */
interface ChunkSource {
  stream(messages: BaseMessage[], options: Record<string, unknown>): Promise<AsyncIterable<AIMessageChunk>>;
  _streamResponseChunks(messages: BaseMessage[], options: Record<string, unknown>): AsyncIterable<ChatGenerationChunk>;
  disableStreaming?: boolean;
}

/**
 * Stream a chat model's reply. When nothing can observe the call through LangChain
 * callbacks (`traced` false: Braid keeps LangSmith tracing off unless
 * BRAID_LANGSMITH_TRACING=1, and passes no callback handlers), read the integration's own
 * chunk generator instead of `model.stream()`. `stream()` wraps every chunk in the
 * Runnable machinery — a callback manager configured per chunk (reading process.env each
 * time), an AsyncLocalStorage scope and a web ReadableStream — which cost ~0.8 ms of CPU
 * per call, as much as the HTTP call itself (bench/RESULTS.md, map throughput). This does
 * what `BaseChatModel._streamIterator` does for each chunk: honour the signal and merge
 * the generation info (OpenAI's finish_reason lives there) into `response_metadata`.
 */
export async function streamChat(
  model: BaseChatModel,
  messages: BaseMessage[],
  options: { signal: AbortSignal } & Record<string, unknown>,
  traced: boolean,
): Promise<AsyncIterable<AIMessageChunk>> {
  const source = model as unknown as ChunkSource;
  const own = source._streamResponseChunks !== BaseChatModel.prototype._streamResponseChunks;
  if (traced || !own || source.disableStreaming) return source.stream(messages, options);
  const signal = options.signal;
  async function* direct(): AsyncGenerator<AIMessageChunk> {
    const it = source._streamResponseChunks(messages, options)[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        // Raced with the signal, as stream() does: a provider that only checks it between
        // chunks (Ollama) must not keep a cancelled or stalled node waiting for the next one.
        const r = await raceAbort(it.next(), signal);
        if (r.done) break;
        signal.throwIfAborted();
        const message = r.value.message as AIMessageChunk;
        message.response_metadata = { ...r.value.generationInfo, ...message.response_metadata };
        yield message;
      }
      finished = true;
      signal.throwIfAborted();
    } finally {
      // Stopped early (abort, stall, consumer gone): end the integration's generator too.
      if (!finished) void it.return?.(undefined)?.catch(() => undefined);
    }
  }
  return direct();
}
