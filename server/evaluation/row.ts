/**
 * One evaluation row: map columns to inputs, run the flow snapshot, score the output
 * with every metric. A run that ended on a provider rate limit throws RateLimited (the
 * runner slows down and retries the row); any other failure is a failed row.
 */
import type { Flow, Trace } from '../../shared';
import type { EvaluationConfig, MetricScore, RowResult } from '../../shared/api/evaluation';
import type { Config } from '../config';
import { NodeError, RunInputError, type RunServices } from '../runtime/types';
import { referencesOf, rowInputs } from './cells';
import { buildMetric, type Metric, type RunFlowFn } from './metrics/index';
import type { ChatFn, EmbedFn } from './metrics/llm';

const RATE_LIMIT_CODES = new Set(['rate_limited']);

export class RateLimited extends Error {
  constructor(readonly retryAfterMs?: number) {
    super('rate limited');
  }
}

/** A run that failed on a provider rate limit (after the runtime's own retries). */
export function rateLimitOf(trace: Trace): RateLimited | undefined {
  if (trace.status !== 'failed') return undefined;
  const err =
    trace.error && RATE_LIMIT_CODES.has(trace.error.code)
      ? trace.error
      : trace.spans.find((s) => s.error && RATE_LIMIT_CODES.has(s.error.code))?.error;
  if (!err) return undefined;
  // Spans keep the provider's Retry-After only in the message ("retry after N ms").
  const m = /retry after (\d+) ms/.exec(err.message);
  return new RateLimited(m ? Number(m[1]) : undefined);
}

/** What running rows needs from its host process (the API, the CLI or `braid worker`). */
export interface RowDeps {
  config: Config;
  runFlow: RunFlowFn;
  loadFlow: (ref: string) => Promise<Flow>;
  chat?: ChatFn;
  embed?: EmbedFn;
  /** What executors get (knowledge search…); default `{ config }`. */
  runServices?: RunServices;
}

/** Everything needed to run any row of one evaluation: built once per evaluation. */
export interface RowContext {
  flow: Flow;
  config: EvaluationConfig;
  metrics: Metric[];
  run: { runFlow: RunFlowFn; services: RunServices };
}

export function rowContext(flow: Flow, config: EvaluationConfig, deps: RowDeps): RowContext {
  const services = {
    config: deps.config,
    chat: deps.chat,
    embed: deps.embed,
    runFlow: deps.runFlow,
    loadFlow: deps.loadFlow,
  };
  return {
    flow,
    config,
    metrics: config.metrics.map((s) => buildMetric(s, services)),
    run: { runFlow: deps.runFlow, services: deps.runServices ?? { config: deps.config } },
  };
}

/**
 * The one row function of every execution mode: the in-process runner and the BullMQ
 * workers (`braid worker`) both call it. Throws RateLimited to be retried later.
 */
export function runEvaluationRow(
  ctx: RowContext,
  row: { idx: number; line?: number; data: Record<string, unknown> },
  signal: AbortSignal,
): Promise<{ result: RowResult; trace?: Trace }> {
  return runRow(ctx.run, ctx.flow, ctx.config, ctx.metrics, row, signal);
}

/** A row that could not be run at all (no outputs, no trace). */
export function failedRow(
  rowIdx: number,
  error: { code: string; message: string },
  base: { inputs?: Record<string, unknown>; expected?: unknown } = {},
): RowResult {
  return {
    rowIdx,
    inputs: base.inputs ?? {},
    expected: base.expected,
    status: 'failed',
    outputs: null,
    metrics: {},
    runId: null,
    latencyMs: null,
    totalTokens: 0,
    cost: null,
    error,
    finishedAt: Date.now(),
  };
}

/**
 * A row's value in a column: its own property only. A column named `constructor`,
 * `toString` or `__proto__` missing from a row is missing, never a value inherited from
 * Object.prototype.
 */
export function cell(data: Record<string, unknown>, column: string): unknown {
  return Object.hasOwn(data, column) ? data[column] : undefined;
}

/** Run the flow on one row and score it. Throws RateLimited to be retried later. */
export async function runRow(
  deps: { runFlow: RunFlowFn; services: RunServices },
  flow: Flow,
  config: EvaluationConfig,
  metrics: Metric[],
  row: { idx: number; line?: number; data: Record<string, unknown> },
  signal: AbortSignal,
): Promise<{ result: RowResult; trace?: Trace }> {
  const { inputs, error: cellError } = rowInputs(flow, config, row);
  const expectedCell = config.expected ? cell(row.data, config.expected) : undefined;
  const expected = expectedCell !== undefined ? referencesOf(expectedCell, config) : undefined;
  // A cell that does not convert to its input's type fails the row before the flow runs (no model call).
  if (cellError)
    return { result: failedRow(row.idx, { code: 'invalid_cell', message: cellError }, { inputs, expected }) };
  const base = { rowIdx: row.idx, inputs, expected, finishedAt: 0 };
  const t0 = performance.now();
  let res;
  try {
    res = await deps.runFlow(flow, inputs, { services: deps.services, signal });
  } catch (e) {
    if (signal.aborted) throw e;
    const error =
      e instanceof RunInputError
        ? { code: 'invalid_inputs', message: e.message }
        : { code: 'internal_error', message: (e as Error).message ?? String(e) };
    return { result: failedRow(row.idx, error, { inputs, expected }) };
  }
  const latencyMs = performance.now() - t0;
  const trace = res.trace;
  const limited = rateLimitOf(trace);
  if (limited) throw limited;
  const common = { runId: res.runId, latencyMs, totalTokens: trace.usage.totalTokens, cost: trace.usage.cost };
  if (res.status !== 'succeeded') {
    const err = trace.error ?? { code: res.status, message: `run ${res.status}` };
    return {
      result: {
        ...base,
        ...common,
        status: 'failed',
        outputs: res.outputs ?? null,
        metrics: {},
        error: { code: err.code, message: err.message },
        finishedAt: Date.now(),
      },
      trace,
    };
  }
  const output = config.output ? cell(res.outputs, config.output) : Object.values(res.outputs)[0];
  const scores: Record<string, MetricScore> = {};
  for (const m of metrics)
    scores[m.name] = await scoreWithRetry(m, {
      row: row.data,
      inputs,
      outputs: res.outputs,
      output,
      expected,
      trace,
      latencyMs,
      signal,
    });
  return {
    result: {
      ...base,
      ...common,
      status: 'succeeded',
      outputs: res.outputs,
      metrics: scores,
      error: null,
      finishedAt: Date.now(),
    },
    trace,
  };
}

export async function scoreWithRetry(m: Metric, ctx: Parameters<Metric['score']>[0]): Promise<MetricScore> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await m.score(ctx);
    } catch (e) {
      if (e instanceof NodeError && e.code === 'rate_limited' && attempt < 8 && !ctx.signal?.aborted) {
        await new Promise((r) => setTimeout(r, Math.max(e.retryAfterMs ?? 0, 200 * 2 ** attempt)));
        continue;
      }
      if (ctx.signal?.aborted) throw e;
      return { value: null, error: (e as Error).message };
    }
  }
}
