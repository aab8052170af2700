/**
 * One model turn of an agent: a LangChain chat model (tools bound or not), streamed or
 * not, under a stall deadline, retried on retryable provider errors with the node's retry
 * policy. Retries happen HERE, around the model call only: a tool call is never repeated
 * by a retry (the agent executor never throws a retryable error to the scheduler).
 */
import { AIMessageChunk, type AIMessage, type BaseMessage } from '@langchain/core/messages';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { Runnable } from '@langchain/core/runnables';
import type { BaseLanguageModelInput } from '@langchain/core/language_models/base';
import type { TokenUsage } from '../../shared';
import { toProviderNodeError, type ProviderErrorContext } from '../llm/errors';
import { estimateUsage } from '../llm/tokens';
import { DEFAULT_RETRY, retryDelay, sleep, type RetryPolicy } from '../runtime/retry';
import { NodeError } from '../runtime/types';
import { contentText } from '../runtime/executors/prompt-stream';

export type ChatRunnable = Runnable<BaseLanguageModelInput, AIMessageChunk | AIMessage> | BaseChatModel;

export interface ToolCallRequest {
  id: string;
  name: string;
  /** Parsed arguments, or undefined when the model sent text that is not a JSON object. */
  args: Record<string, unknown> | undefined;
  /** The raw argument text when it could not be parsed. */
  rawArgs?: string;
}

export interface Turn {
  text: string;
  toolCalls: ToolCallRequest[];
  usage: TokenUsage;
  usageEstimated: boolean;
  finishReason?: string;
}

export interface TurnOptions {
  stream: boolean;
  signal: AbortSignal;
  stallMs: number;
  retry?: RetryPolicy;
  modelId: string;
  errorCtx: ProviderErrorContext;
  /** Extra call options (e.g. tool_choice). */
  callOptions?: Record<string, unknown>;
  onToken(token: string): void;
  onRetry(info: { attempt: number; delayMs: number; code: string; message: string }): void;
}

function finishReasonOf(meta: Record<string, unknown> | undefined | null): string | undefined {
  if (!meta) return undefined;
  for (const k of ['finish_reason', 'stop_reason', 'done_reason']) {
    const v = meta[k];
    if (typeof v === 'string' && v) return v;
  }
  if (meta.done === true) return 'stop';
  return undefined;
}

let syntheticId = 0;

/** Tool calls of a reply, valid and invalid (invalid ones keep their raw text). */
function toolCallsOf(msg: AIMessage | AIMessageChunk): ToolCallRequest[] {
  const out: ToolCallRequest[] = [];
  for (const c of msg.tool_calls ?? []) {
    const args = c.args && typeof c.args === 'object' && !Array.isArray(c.args) ? c.args : undefined;
    out.push({
      id: c.id || `call_braid${++syntheticId}`,
      name: c.name,
      args,
      ...(args ? {} : { rawArgs: JSON.stringify(c.args) }),
    });
  }
  for (const c of msg.invalid_tool_calls ?? [])
    out.push({ id: c.id || `call_braid${++syntheticId}`, name: c.name ?? '', args: undefined, rawArgs: c.args ?? '' });
  return out;
}

async function once(model: ChatRunnable, messages: BaseMessage[], o: TurnOptions): Promise<Turn> {
  let msg: AIMessage | AIMessageChunk;
  if (o.stream) {
    const stallAbort = new AbortController();
    const forward = (): void => stallAbort.abort(o.signal.reason);
    if (o.signal.aborted) forward();
    else o.signal.addEventListener('abort', forward, { once: true });
    let full: AIMessageChunk | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stalled = false;
    try {
      const stream = await model.stream(messages, { ...o.callOptions, signal: stallAbort.signal });
      for await (const raw of stream) {
        clearTimeout(timer);
        timer = setTimeout(() => {
          stalled = true;
          stallAbort.abort(new Error('stalled'));
        }, o.stallMs);
        const chunk = raw as AIMessageChunk;
        const piece = contentText(chunk.content);
        if (piece) o.onToken(piece);
        full = full ? full.concat(chunk) : chunk;
      }
    } catch (err) {
      if (stalled && !o.signal.aborted)
        throw new NodeError('stream_stalled', `the model stream stalled: no data for ${o.stallMs} ms`, {
          retryable: true,
        });
      throw err;
    } finally {
      clearTimeout(timer);
      o.signal.removeEventListener('abort', forward);
    }
    msg = full ?? new AIMessageChunk({ content: '' });
  } else {
    msg = (await model.invoke(messages, { ...o.callOptions, signal: o.signal })) as AIMessage;
  }
  const meta = msg.response_metadata as Record<string, unknown> | undefined;
  const finishReason = finishReasonOf(meta) ?? finishReasonOf(msg.additional_kwargs);
  const text = contentText(msg.content);
  const toolCalls = toolCallsOf(msg);
  if (o.stream && finishReason === undefined)
    throw new NodeError(
      'stream_incomplete',
      `the model stream ended without a finish reason after ${text.length} characters (connection cut?)`,
      { retryable: true },
    );
  const u = msg.usage_metadata;
  if (u && (u.input_tokens > 0 || u.output_tokens > 0)) {
    return {
      text,
      toolCalls,
      usage: { promptTokens: u.input_tokens, completionTokens: u.output_tokens, totalTokens: u.total_tokens },
      usageEstimated: false,
      ...(finishReason ? { finishReason } : {}),
    };
  }
  const turns = messages.map((m) => ({ role: m.getType(), content: contentText(m.content) }));
  const reply = text + toolCalls.map((c) => `${c.name}${c.rawArgs ?? JSON.stringify(c.args)}`).join('');
  return {
    text,
    toolCalls,
    usage: await estimateUsage(turns, reply, o.modelId),
    usageEstimated: true,
    ...(finishReason ? { finishReason } : {}),
  };
}

/** One model turn with retries of retryable provider errors (the node's `retry` policy). */
export async function modelTurn(model: ChatRunnable, messages: BaseMessage[], o: TurnOptions): Promise<Turn> {
  const policy = o.retry ?? DEFAULT_RETRY;
  for (let retry = 1; ; retry++) {
    try {
      return await once(model, messages, o);
    } catch (err) {
      if (o.signal.aborted) throw new NodeError('cancelled', `${o.errorCtx.provider ?? 'model'} call cancelled`);
      const ne = err instanceof NodeError ? err : toProviderNodeError(err, { ...o.errorCtx, signal: undefined });
      const delay = retryDelay(ne, retry, policy);
      if (delay === null) throw ne;
      o.onRetry({ attempt: retry, delayMs: delay, code: ne.code, message: ne.message });
      await sleep(delay, o.signal).catch(() => {
        throw new NodeError('cancelled', `${o.errorCtx.provider ?? 'model'} call cancelled`);
      });
    }
  }
}
