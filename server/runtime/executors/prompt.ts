/**
 * The prompt node: render chat messages (mustache, once, no partials), call the model
 * through LangChain, stream tokens, record usage and cost, and return `text` (and `json`
 * when `output: "json"`).
 *
 * Failure rules: a stream with no chunk for `stallTimeoutMs` (before the first token too;
 * keep-alive comments are not chunks) is a retryable `stream_stalled`; a cut or failed stream, or one that ends without a
 * finish reason, fails the node — partial text is never returned as a success.
 */
import { AIMessage, HumanMessage, SystemMessage, type BaseMessage } from '@langchain/core/messages';
import { DEFAULT_MAX_TOKENS, type PromptConfig } from '../../../shared/nodes/prompt';
import { renderTemplate, stringifyValue } from '../../../shared/template';
import type { TokenUsage } from '../../../shared';
import { NodeError, type Executor, type NodeContext } from '../types';
import {
  createChatModel,
  parseModelId,
  providerBaseUrl,
  providerSecrets,
  baseUrlEnv,
  isOpenAIReasoningModel,
  type ChatModelSettings,
} from '../../llm/providers';
import { toProviderNodeError } from '../../llm/errors';
import { costOf } from '../../llm/prices';
import { estimateUsage, estimateUsageNow } from '../../llm/tokens';
import { parseJsonReply, checkSchema } from '../../llm/json-output';
import {
  contentText,
  finishReasonOf,
  readStream,
  streamChat,
  stallError,
  withinStall,
  type Reply,
  type UsageMeta,
} from './prompt-stream';

export interface PromptExecutorOptions {
  /** Fail a stream with no chunk for this long, first chunk included (default: config.streamStallMs, BRAID_STREAM_STALL_MS, 30 s). */
  stallTimeoutMs?: number;
  /** Extra model settings (tests: a custom fetch). */
  modelSettings?: Pick<ChatModelSettings, 'fetch' | 'timeoutMs'>;
}

export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

type ChatTurn = { role: 'system' | 'user' | 'assistant'; content: string };

const ROLE_ALIASES: Record<string, ChatTurn['role']> = {
  system: 'system',
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  ai: 'assistant',
};

/** Validate a `messages` input: an array of { role, content } with known roles. */
export function parseHistory(value: unknown, port: string): ChatTurn[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new NodeError('invalid_input', `input "${port}" must be an array of { role, content } messages`, {
      path: `inputs.${port}`,
    });
  return value.map((m: unknown, i): ChatTurn => {
    const path = `inputs.${port}[${i}]`;
    if (!m || typeof m !== 'object')
      throw new NodeError('invalid_input', `${path} must be an object { role, content }`, { path });
    const { role, content } = m as { role?: unknown; content?: unknown };
    const r = typeof role === 'string' ? ROLE_ALIASES[role.toLowerCase()] : undefined;
    if (!r)
      throw new NodeError(
        'invalid_input',
        `${path}.role must be one of system, user, assistant (got ${JSON.stringify(role)})`,
        { path: `${path}.role` },
      );
    if (typeof content !== 'string')
      throw new NodeError('invalid_input', `${path}.content must be a string`, { path: `${path}.content` });
    return { role: r, content };
  });
}

/** The conversation a prompt node sends: rendered templates, history, and re-ask turns. */
export function buildConversation(ctx: Pick<NodeContext<PromptConfig>, 'config' | 'inputs' | 'feedback'>): ChatTurn[] {
  const turns: ChatTurn[] = [];
  ctx.config.messages.forEach((m, i) => {
    if (m.role === 'history') turns.push(...parseHistory(ctx.inputs[m.variable], m.variable));
    else {
      let content: string;
      try {
        content = renderTemplate(m.content, ctx.inputs);
      } catch (err) {
        throw new NodeError('template_error', `messages[${i}]: ${(err as Error).message}`, {
          path: `config.messages[${i}].content`,
        });
      }
      turns.push({ role: m.role, content });
    }
  });
  if (ctx.feedback) {
    const prev = ctx.feedback.previousOutputs;
    const previous = typeof prev.text === 'string' ? prev.text : stringifyValue(prev.json ?? prev);
    turns.push({ role: 'assistant', content: previous }, { role: 'user', content: ctx.feedback.message });
  }
  return turns;
}

function toLangChain(turns: ChatTurn[]): BaseMessage[] {
  return turns.map((t) =>
    t.role === 'system'
      ? new SystemMessage(t.content)
      : t.role === 'user'
        ? new HumanMessage(t.content)
        : new AIMessage(t.content),
  );
}

/** Finish reasons that mean "cut at the token limit" (OpenAI and Ollama `length`, Anthropic `max_tokens`). */
export function isTruncation(finishReason: string | undefined): boolean {
  return finishReason === 'length' || finishReason === 'max_tokens';
}

/** The `max_tokens` a call sends: the node's, lowered by the run's cap (deployment, caller). */
export function effectiveMaxTokens(config: Pick<PromptConfig, 'maxTokens'>, cap: number | undefined): number {
  const own = config.maxTokens ?? DEFAULT_MAX_TOKENS;
  return cap !== undefined && cap > 0 ? Math.min(own, Math.floor(cap)) : own;
}

/**
 * Ask OpenAI itself for JSON mode (`response_format: json_object`) when the node wants
 * JSON: only on api.openai.com (OpenAI-compatible servers differ: LM Studio, for one,
 * refuses json_object), and only when a message mentions "json", which OpenAI requires.
 */
export function useOpenAIJsonMode(config: PromptConfig, turns: ChatTurn[], openaiBaseUrl: string | undefined): boolean {
  if (config.output !== 'json' || !config.model.startsWith('openai:')) return false;
  if (openaiBaseUrl && !/^https:\/\/api\.openai\.com(\/|$)/.test(openaiBaseUrl)) return false;
  return turns.some((t) => /json/i.test(t.content));
}

/** Build the prompt executor (options for tests and tuning). */
export function createPromptExecutor(opts: PromptExecutorOptions = {}): Executor<PromptConfig> {
  return async function promptExecutor(ctx) {
    const { config } = ctx;
    const stallMs = opts.stallTimeoutMs ?? ctx.services.config.streamStallMs ?? DEFAULT_STALL_TIMEOUT_MS;
    const { provider } = parseModelId(config.model);
    const turns = buildConversation(ctx);
    const maxTokens = effectiveMaxTokens(config, ctx.services.limits?.maxTokens);
    if (maxTokens !== config.maxTokens) ctx.setMeta({ maxTokens, maxTokensCapped: true });
    const model = createChatModel(config.model, ctx.services.config, {
      temperature: config.temperature,
      maxTokens,
      ...opts.modelSettings,
    });
    const errorCtx = {
      provider,
      signal: ctx.signal,
      secrets: providerSecrets(ctx.services.config),
      baseUrl: providerBaseUrl(provider, ctx.services.config),
      baseUrlEnv: baseUrlEnv(provider),
    };
    const messages = toLangChain(turns);
    ctx.recordMessages(() => turns);
    const reasoning = isOpenAIReasoningModel(config.model);
    const stop = config.stop && config.stop.length > 0 && !reasoning ? config.stop : undefined;
    const jsonMode = useOpenAIJsonMode(config, turns, ctx.services.config.providers.openai.baseUrl);
    if (jsonMode) ctx.setMeta({ jsonMode: true });
    if (reasoning) ctx.setMeta({ ignoredSettings: ['temperature', ...(config.stop?.length ? ['stop'] : [])] });
    if (ctx.feedback) ctx.setMeta({ reaskAttempt: ctx.feedback.attempt });

    let reply: Reply;
    // Not AbortSignal.any: on Node 20 a composite signal that gets an abort listener (the
    // SDKs add one) stays reachable until it aborts, with everything its listeners hold —
    // a few KB per call, hundreds of MB over a 100k-row evaluation.
    // Only a stream needs its own controller (to stop on a stall); a plain call takes the
    // node's signal as it is (one controller and listener fewer per call).
    const stallAbort = config.stream ? new AbortController() : undefined;
    const forwardAbort = (): void => stallAbort?.abort(ctx.signal.reason);
    if (stallAbort) {
      if (ctx.signal.aborted) forwardAbort();
      else ctx.signal.addEventListener('abort', forwardAbort, { once: true });
    }
    const signal = stallAbort ? stallAbort.signal : ctx.signal;
    // ChatOpenAI's call options include response_format; the base type does not know it.
    const callOptions = {
      signal,
      ...(stop ? { stop } : {}),
      ...(jsonMode ? { response_format: { type: 'json_object' } } : {}),
    } as { signal: AbortSignal; stop?: string[] };
    // A call cut short (client gone, run cancelled, node timeout) was still billed: count the
    // prompt and what streamed so far, at the abort itself, before the run's trace is written.
    let streamed = '';
    const counting: NodeContext<PromptConfig> = Object.create(ctx, {
      emitToken: { value: (t: string) => ((streamed += t), ctx.emitToken(t)) },
    }) as NodeContext<PromptConfig>;
    const countAborted = (): void => {
      const u = estimateUsageNow(turns, streamed, config.model);
      ctx.recordUsage(config.model, u, costOf(config.model, u));
      ctx.setMeta({ model: config.model, usageEstimated: true, abortedAfterChars: streamed.length });
    };
    ctx.signal.addEventListener('abort', countAborted, { once: true });
    try {
      if (config.stream) {
        const stream = await withinStall(
          streamChat(model, messages, callOptions, ctx.services.config.langsmithTracing === true),
          stallMs,
          () => stallAbort?.abort(),
          () => stallError(stallMs, 0, false),
        );
        reply = await readStream(stream, counting, stallMs, () => stallAbort?.abort());
        if (ctx.signal.aborted) throw new NodeError('cancelled', `${provider} call cancelled`);
        if (reply.finishReason === undefined) {
          throw new NodeError(
            'stream_incomplete',
            `the model stream ended without a finish reason after ${reply.text.length} characters (connection cut?)`,
            {
              retryable: true,
            },
          );
        }
      } else {
        const msg = await model.invoke(messages, callOptions);
        const meta = msg.response_metadata as Record<string, unknown> | undefined;
        const m = meta?.model_name ?? meta?.model;
        reply = {
          text: contentText(msg.content),
          usage: (msg as { usage_metadata?: UsageMeta }).usage_metadata,
          finishReason: finishReasonOf(meta),
          responseModel: typeof m === 'string' ? m : undefined,
        };
      }
    } catch (err) {
      if (err instanceof NodeError) throw err;
      if (ctx.signal.aborted) throw toProviderNodeError(err, errorCtx);
      throw toProviderNodeError(err, { ...errorCtx, signal: undefined });
    } finally {
      ctx.signal.removeEventListener('abort', countAborted);
      if (stallAbort) ctx.signal.removeEventListener('abort', forwardAbort);
    }
    if (ctx.signal.aborted) throw new NodeError('cancelled', `${provider} call cancelled`);

    let usage: TokenUsage;
    let estimated = false;
    if (
      reply.usage &&
      typeof reply.usage.input_tokens === 'number' &&
      (reply.usage.input_tokens > 0 || (reply.usage.output_tokens ?? 0) > 0)
    ) {
      const promptTokens = reply.usage.input_tokens;
      const completionTokens = reply.usage.output_tokens ?? 0;
      usage = {
        promptTokens,
        completionTokens,
        totalTokens: reply.usage.total_tokens ?? promptTokens + completionTokens,
      };
    } else {
      usage = await estimateUsage(turns, reply.text, config.model);
      estimated = true;
    }
    ctx.recordUsage(config.model, usage, costOf(config.model, usage));
    ctx.setMeta({
      model: config.model,
      ...(reply.responseModel ? { responseModel: reply.responseModel } : {}),
      finishReason: reply.finishReason ?? null,
      ...(estimated ? { usageEstimated: true } : {}),
    });
    if (isTruncation(reply.finishReason)) {
      const what = `the reply was cut at maxTokens (${maxTokens}; finish reason "${reply.finishReason}")`;
      ctx.setMeta({ truncated: true, warnings: [what] });
      if (config.onTruncated === 'fail')
        throw new NodeError('output_truncated', `${what}; raise maxTokens or set onTruncated: "warn"`, {
          path: 'config.maxTokens',
        });
    }

    const outputs: Record<string, unknown> = { text: reply.text };
    if (config.output === 'json') {
      const parsed = parseJsonReply(reply.text);
      if (!parsed.ok) {
        const hint = isTruncation(reply.finishReason) ? ' (the reply was cut at maxTokens)' : '';
        throw new NodeError(
          'invalid_json',
          `the model reply is not valid JSON${hint}: ${parsed.error}; reply starts: ${JSON.stringify(reply.text.slice(0, 200))}`,
        );
      }
      if (config.jsonSchema) {
        const problems = checkSchema(parsed.value, config.jsonSchema);
        if (problems.length > 0) {
          throw new NodeError(
            'json_schema_mismatch',
            `the model reply does not match jsonSchema: ${problems.slice(0, 10).join('; ')}`,
            { path: 'config.jsonSchema' },
          );
        }
      }
      outputs.json = parsed.value;
    }
    return { outputs };
  };
}

export const promptExecutor: Executor<PromptConfig> = createPromptExecutor();
