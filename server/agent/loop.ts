/**
 * The agent loop: model turn → tool calls (concurrent when the model asks for several) →
 * tool results back to the model → … until the model answers without tools or a limit
 * (maxIterations, budget tokens / cost / time) is reached. At a limit, `onLimit: "answer"`
 * makes one last call with tools disabled; `fail` fails the node.
 *
 * Every step is reported live (`emitProgress`) and returned in `steps`. Nothing escapes
 * as a retryable error: model calls are retried inside (server/agent/model.ts), and a
 * tool call is never run twice.
 */
import { AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { AgentConfig } from '../../shared/nodes/agent';
import { AGENT_MESSAGES_PORT } from '../../shared/nodes/agent';
import { renderTemplate, stringifyValue } from '../../shared/template';
import type { TokenUsage } from '../../shared';
import {
  baseUrlEnv,
  createChatModel,
  parseModelId,
  providerBaseUrl,
  providerSecrets,
  type ChatModelSettings,
} from '../llm/providers';
import { costOf } from '../llm/prices';
import { checkSchema, parseJsonReply } from '../llm/json-output';
import { parseHistory } from '../runtime/executors/prompt';
import { NodeError, type NodeContext, type NodeResult } from '../runtime/types';
import { argumentProblems, capResult, resolveTools, toolSpecs, type ToolOutcome } from './tools';
import { modelTurn, type ChatRunnable, type ToolCallRequest, type Turn } from './model';

/** A tool call that waits for a person's approval. */
const AWAITING_APPROVAL = Symbol('awaiting approval');

export type AgentLimit = 'maxIterations' | 'maxTokens' | 'maxCostUsd' | 'maxDurationMs';

export interface AgentStep {
  iteration: number;
  id: string;
  name: string;
  kind?: 'flow' | 'mcp';
  arguments: unknown;
  result?: unknown;
  error?: { code: string; message: string };
  durationMs: number;
  /** The child run of a flow tool. */
  childRunId?: string;
}

export interface AgentOptions {
  stallTimeoutMs?: number;
  modelSettings?: Pick<ChatModelSettings, 'fetch' | 'timeoutMs'>;
}

const LIMIT_TEXT: Record<AgentLimit, string> = {
  maxIterations: 'the maximum number of tool-using steps',
  maxTokens: 'the token budget',
  maxCostUsd: 'the cost budget',
  maxDurationMs: 'the time budget',
};

function render(template: string, inputs: Record<string, unknown>, field: 'instructions' | 'prompt'): string {
  try {
    return renderTemplate(template, inputs);
  } catch (err) {
    throw new NodeError('template_error', `${field}: ${(err as Error).message}`, { path: `config.${field}` });
  }
}

function initialMessages(ctx: NodeContext<AgentConfig>): BaseMessage[] {
  const out: BaseMessage[] = [];
  const system = render(ctx.config.instructions, ctx.inputs, 'instructions');
  if (system.trim()) out.push(new SystemMessage(system));
  for (const t of parseHistory(ctx.inputs[AGENT_MESSAGES_PORT], AGENT_MESSAGES_PORT))
    out.push(
      t.role === 'system'
        ? new SystemMessage(t.content)
        : t.role === 'user'
          ? new HumanMessage(t.content)
          : new AIMessage(t.content),
    );
  const prompt = render(ctx.config.prompt, ctx.inputs, 'prompt');
  if (prompt.trim()) out.push(new HumanMessage(prompt));
  if (out.length === 0)
    throw new NodeError('empty_prompt', 'instructions and prompt render to nothing', { path: 'config.prompt' });
  return out;
}

function resultText(r: ToolOutcome): string {
  if (!r.ok) return JSON.stringify({ error: r.error });
  return typeof r.result === 'string' ? r.result : stringifyValue(r.result);
}

function timedSignal(parent: AbortSignal, ms: number): { signal: AbortSignal; dispose(): void } {
  const c = new AbortController();
  const onAbort = (): void => c.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  const t = setTimeout(() => c.abort(new Error('deadline')), Math.max(0, ms));
  return {
    signal: c.signal,
    dispose() {
      clearTimeout(t);
      parent.removeEventListener('abort', onAbort);
    },
  };
}

export async function runAgent(ctx: NodeContext<AgentConfig>, opts: AgentOptions = {}): Promise<NodeResult> {
  const { config } = ctx;
  const started = performance.now();
  const { provider } = parseModelId(config.model);
  const { tools, unavailable } = await resolveTools(ctx);
  const byName = new Map(tools.map((t) => [t.name, t]));
  const base = createChatModel(config.model, ctx.services.config, {
    temperature: config.temperature,
    maxTokens: config.maxTokens,
    ...opts.modelSettings,
  });
  if (tools.length > 0 && typeof base.bindTools !== 'function')
    throw new NodeError('tools_unsupported', `${config.model} cannot call tools through LangChain`, {
      path: 'config.model',
    });
  const specs = toolSpecs(tools);
  // ChatOpenAI's call options know parallel_tool_calls; the base type does not.
  const bindOptions = (
    provider === 'openai' && !config.parallelToolCalls ? { parallel_tool_calls: false } : {}
  ) as Record<string, never>;
  const withTools: ChatRunnable = tools.length > 0 ? base.bindTools!(specs, bindOptions) : base;
  // The last call at a limit: tools stay declared (providers need them to read the tool
  // turns) but may not be called; Ollama has no tool_choice, so it gets none.
  const noTools: ChatRunnable =
    tools.length > 0 && provider !== 'ollama' ? base.bindTools!(specs, { tool_choice: 'none' }) : base;

  const errorCtx = {
    provider,
    signal: ctx.signal,
    secrets: providerSecrets(ctx.services.config),
    baseUrl: providerBaseUrl(provider, ctx.services.config),
    baseUrlEnv: baseUrlEnv(provider),
  };
  const stallMs = opts.stallTimeoutMs ?? ctx.services.config.streamStallMs ?? 30_000;
  const retry = ctx.node.retry ? { max: ctx.node.retry.max ?? 2, baseMs: ctx.node.retry.baseMs ?? 500 } : undefined;
  const total: TokenUsage = { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  let cost = 0;
  let costKnown = true;
  let modelCalls = 0;
  let retries = 0;
  const steps: AgentStep[] = [];
  const messages = initialMessages(ctx);
  const budget = config.budget;
  const durationLeft = (): number =>
    budget.maxDurationMs === undefined ? Infinity : budget.maxDurationMs - (performance.now() - started);

  // A durable run journals every model turn and tool result: a resumed attempt (after a
  // tool approval, or a restart) replays them instead of calling the model or the tool again.
  const durable = ctx.durable;
  const call = async (model: ChatRunnable, iteration: number, final: boolean): Promise<Turn> => {
    const turnKey = `turn:${modelCalls + 1}`;
    const recorded = durable?.get<Turn>(turnKey);
    if (!recorded) ctx.emitProgress({ kind: 'model_call', iteration, ...(final ? { final: true } : {}) });
    const turn = recorded ?? (await modelTurn(model, messages, {
      stream: config.stream,
      signal: ctx.signal,
      stallMs,
      ...(retry ? { retry } : {}),
      modelId: config.model,
      errorCtx,
      onToken: (t) => ctx.emitToken(t),
      onRetry: (r) => {
        retries++;
        ctx.emitProgress({ kind: 'model_retry', iteration, ...r });
      },
    }));
    if (!recorded) durable?.put(turnKey, turn);
    modelCalls++;
    const c = costOf(config.model, turn.usage);
    ctx.recordUsage(config.model, turn.usage, c);
    total.promptTokens += turn.usage.promptTokens;
    total.completionTokens += turn.usage.completionTokens;
    total.totalTokens += turn.usage.totalTokens;
    if (c === null) costKnown = false;
    else cost += c;
    return turn;
  };

  const overBudget = (): AgentLimit | undefined => {
    if (budget.maxTokens !== undefined && total.totalTokens >= budget.maxTokens) return 'maxTokens';
    if (budget.maxCostUsd !== undefined && cost >= budget.maxCostUsd) return 'maxCostUsd';
    if (durationLeft() <= 0) return 'maxDurationMs';
    return undefined;
  };

  const runTool = async (
    req: ToolCallRequest,
    iteration: number,
    stop?: AgentLimit,
  ): Promise<AgentStep | typeof AWAITING_APPROVAL> => {
    const t0 = performance.now();
    const tool = byName.get(req.name);
    let args: unknown = req.args ?? req.rawArgs ?? {};
    const toolKey = `tool:${req.id}`;
    const done = durable?.get<{ step: AgentStep; content: string; ok: boolean }>(toolKey);
    if (done) {
      messages.push(
        new ToolMessage({
          content: done.content,
          tool_call_id: req.id,
          name: req.name,
          status: done.ok ? 'success' : 'error',
        }),
      );
      return done.step;
    }
    let outcome: ToolOutcome | undefined;
    let callArgs = req.args;
    if (!stop && tool?.requireApproval && req.args && argumentProblems(tool, req.args).length === 0) {
      // A person approves the call first (and may edit its arguments), or rejects it.
      if (!durable)
        throw new NodeError(
          'not_durable',
          `the tool "${req.name}" needs approval, which only a durable run can wait for (builder runs, async runs, deployed endpoints)`,
        );
      const approvalKey = `approval:${req.id}`;
      const answer = durable.answer(approvalKey);
      if (!answer) {
        durable.ask(
          {
            kind: 'tool',
            message: `The agent wants to call the tool "${req.name}".`,
            tool: { name: req.name, arguments: req.args, toolKind: tool.kind, parameters: tool.parameters } as never,
            onTimeout: 'reject',
          },
          approvalKey,
        );
        ctx.emitProgress({ kind: 'tool_approval', iteration, id: req.id, name: req.name, arguments: req.args });
        return AWAITING_APPROVAL;
      }
      if (answer.decision.decision === 'reject') {
        const why = answer.decision.comment ? `: ${answer.decision.comment}` : '';
        outcome = {
          ok: false,
          error: {
            code: answer.decision.timedOut ? 'approval_timed_out' : 'rejected_by_reviewer',
            message: `a person did not approve this call${why}`,
          },
        };
      } else if (answer.decision.response) {
        callArgs = answer.decision.response;
        args = callArgs;
      }
    }
    ctx.emitProgress({ kind: 'tool_call', iteration, id: req.id, name: req.name, arguments: args });
    if (outcome) {
      // rejected by a person: not run
    } else if (stop) {
      outcome = {
        ok: false,
        error: { code: 'limit_reached', message: `not run: the agent reached ${LIMIT_TEXT[stop]}` },
      };
    } else if (!tool) {
      outcome = {
        ok: false,
        error: {
          code: 'unknown_tool',
          message: `there is no tool "${req.name}"; the tools are: ${tools.map((t) => t.name).join(', ') || 'none'}`,
        },
      };
    } else if (!req.args) {
      outcome = {
        ok: false,
        error: {
          code: 'invalid_arguments',
          message: `the arguments must be a JSON object; got ${JSON.stringify(String(req.rawArgs ?? '').slice(0, 200))}`,
        },
      };
    } else {
      const problems = argumentProblems(tool, callArgs!);
      if (problems.length > 0) {
        outcome = {
          ok: false,
          error: {
            code: 'invalid_arguments',
            message: `the arguments do not match the tool's schema: ${problems.slice(0, 10).join('; ')}`,
          },
        };
      } else {
        const deadline = timedSignal(ctx.signal, Math.min(config.toolTimeoutMs, durationLeft()));
        try {
          outcome = await tool.invoke(callArgs!, {
            signal: deadline.signal,
            iteration,
            timeoutMs: config.toolTimeoutMs,
            callId: req.id,
          });
        } catch (err) {
          if (ctx.signal.aborted) throw new NodeError('cancelled', `cancelled during the tool call "${req.name}"`);
          outcome = { ok: false, error: { code: 'tool_error', message: (err as Error).message } };
        } finally {
          deadline.dispose();
        }
        if (!outcome!.ok && deadline.signal.aborted && !ctx.signal.aborted && outcome.error.code !== 'tool_timeout')
          outcome = {
            ok: false,
            error: { code: 'tool_timeout', message: `the tool "${req.name}" did not finish in time` },
            ...(outcome!.childRunId ? { childRunId: outcome!.childRunId } : {}),
          };
      }
    }
    if (ctx.signal.aborted) throw new NodeError('cancelled', `cancelled during the tool call "${req.name}"`);
    outcome = outcome!;
    const step: AgentStep = {
      iteration,
      id: req.id,
      name: req.name,
      ...(tool ? { kind: tool.kind } : {}),
      arguments: args,
      ...(outcome.ok ? { result: outcome.result } : { error: outcome.error }),
      durationMs: Math.round((performance.now() - t0) * 100) / 100,
      ...(outcome.childRunId ? { childRunId: outcome.childRunId } : {}),
    };
    const { kind: toolKind, ...shown } = step;
    ctx.emitProgress({ ...shown, kind: 'tool_result', ...(toolKind ? { toolKind } : {}) });
    const content = capResult(resultText(outcome), config.maxToolResultChars);
    messages.push(
      new ToolMessage({ content, tool_call_id: req.id, name: req.name, status: outcome.ok ? 'success' : 'error' }),
    );
    durable?.put(toolKey, { step, content, ok: outcome.ok });
    return step;
  };

  let answer: Turn | undefined;
  let stoppedBy: AgentLimit | undefined;
  for (let iteration = 1; ; iteration++) {
    if (iteration > config.maxIterations) {
      stoppedBy = 'maxIterations';
      break;
    }
    if (iteration > 1) {
      stoppedBy = overBudget();
      if (stoppedBy) break;
    }
    const turn = await call(withTools, iteration, false);
    if (turn.toolCalls.length === 0) {
      answer = turn;
      break;
    }
    // The model's turn as the providers expect it back: text plus every call (invalid ones with {} arguments).
    messages.push(
      new AIMessage({
        content: turn.text,
        tool_calls: turn.toolCalls.map((c) => ({
          id: c.id,
          name: c.name,
          args: c.args ?? {},
          type: 'tool_call' as const,
        })),
      }),
    );
    const stop = overBudget();
    const calls = config.parallelToolCalls ? turn.toolCalls : turn.toolCalls.slice(0, 1);
    // Calls beyond the first when parallel calls are off still need an answer for the provider.
    const skipped = turn.toolCalls.slice(calls.length);
    const results = await Promise.all(calls.map((c) => runTool(c, iteration, stop)));
    const awaiting = results.filter((r) => r === AWAITING_APPROVAL).length;
    // The calls that ran are journaled; the run waits for the approvals and resumes here.
    if (awaiting > 0) durable!.suspend(`waiting for approval of ${awaiting} tool call(s)`);
    const done = results as AgentStep[];
    for (const c of skipped) {
      messages.push(
        new ToolMessage({
          content: JSON.stringify({ error: { code: 'one_at_a_time', message: 'call one tool at a time' } }),
          tool_call_id: c.id,
          name: c.name,
          status: 'error',
        }),
      );
    }
    steps.push(...done);
    if (stop) {
      stoppedBy = stop;
      break;
    }
  }

  if (stoppedBy) {
    ctx.emitProgress({ kind: 'limit', limit: stoppedBy });
    ctx.setMeta({ stoppedBy });
    if (config.onLimit === 'fail')
      throw new NodeError(
        'agent_limit',
        `the agent stopped at ${LIMIT_TEXT[stoppedBy]} (${stoppedBy}) without an answer`,
        {
          path: stoppedBy === 'maxIterations' ? 'config.maxIterations' : `config.budget.${stoppedBy}`,
        },
      );
    messages.push(
      new HumanMessage(
        `You have reached ${LIMIT_TEXT[stoppedBy]}: no more tools can be used. Answer now with what you have.`,
      ),
    );
    answer = await call(noTools, steps.length ? steps[steps.length - 1]!.iteration + 1 : 1, true);
  }
  const reply = answer!;
  ctx.emitProgress({ kind: 'answer', text: reply.text });
  ctx.setMeta({
    model: config.model,
    modelCalls,
    toolCalls: steps.length,
    tools: tools.map((t) => t.name),
    finishReason: reply.finishReason ?? null,
    ...(retries ? { modelRetries: retries } : {}),
    ...(unavailable.length ? { unavailableServers: unavailable } : {}),
    ...(budget.maxCostUsd !== undefined && !costKnown ? { costUnknown: true } : {}),
  });
  const outputs: Record<string, unknown> = { text: reply.text, steps };
  if (config.output === 'json') {
    const parsed = parseJsonReply(reply.text);
    if (!parsed.ok)
      throw new NodeError(
        'invalid_json',
        `the agent's answer is not valid JSON: ${parsed.error}; it starts: ${JSON.stringify(reply.text.slice(0, 200))}`,
      );
    if (config.jsonSchema) {
      const problems = checkSchema(parsed.value, config.jsonSchema);
      if (problems.length > 0)
        throw new NodeError(
          'json_schema_mismatch',
          `the agent's answer does not match jsonSchema: ${problems.slice(0, 10).join('; ')}`,
          {
            path: 'config.jsonSchema',
          },
        );
    }
    outputs.json = parsed.value;
  }
  return { outputs };
}
