/**
 * Builders of synthetic run event sequences (as the scheduler emits them), for tests of
 * event subscribers such as the OpenTelemetry export: runs, child runs with `parent`,
 * node starts, retries and ends.
 */
import type { RunEvent, RunParent, Span, SpanError, Trace } from '../../shared';

export function runStarted(
  runId: string,
  flowId: string,
  at: number,
  opts: { parent?: RunParent; inputs?: Record<string, unknown> } = {},
): RunEvent {
  return {
    type: 'run_started',
    runId,
    flowId,
    at,
    inputs: opts.inputs ?? {},
    ...(opts.parent ? { parent: opts.parent } : {}),
  };
}

export function nodeStarted(runId: string, nodeId: string, nodeType: string, at: number, attempt = 1): RunEvent {
  return { type: 'node_started', runId, nodeId, nodeType, at, attempt, inputs: {} };
}

export function nodeRetry(runId: string, nodeId: string, at: number, attempt: number, error: SpanError): RunEvent {
  return { type: 'node_retry', runId, nodeId, at, attempt, delayMs: 10, error };
}

export function span(
  nodeId: string,
  nodeType: string,
  startedAt: number,
  durationMs: number,
  rest: Partial<Span> = {},
): Span {
  return {
    nodeId,
    nodeType,
    status: 'succeeded',
    inputs: {},
    outputs: {},
    startedAt,
    durationMs,
    attempts: 1,
    ...rest,
  };
}

/** `node_finished`, `node_failed` or `node_skipped` by the span's status. */
export function nodeEnded(runId: string, s: Span): RunEvent {
  const at = s.startedAt + s.durationMs;
  if (s.status === 'succeeded') return { type: 'node_finished', runId, nodeId: s.nodeId, at, span: s };
  if (s.status === 'skipped') return { type: 'node_skipped', runId, nodeId: s.nodeId, at, span: s };
  return { type: 'node_failed', runId, nodeId: s.nodeId, at, span: s };
}

export function runFinished(
  runId: string,
  flowId: string,
  startedAt: number,
  endAt: number,
  rest: Partial<Trace> = {},
): RunEvent {
  return {
    type: 'run_finished',
    runId,
    at: endAt,
    trace: {
      runId,
      flowId,
      status: 'succeeded',
      startedAt,
      durationMs: endAt - startedAt,
      inputs: {},
      outputs: {},
      spans: [],
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
      ...rest,
    },
  };
}

/** The events of a run of one node, start to finish. */
export function oneNodeRun(
  runId: string,
  flowId: string,
  nodeId: string,
  nodeType: string,
  at: number,
  parent?: RunParent,
): RunEvent[] {
  return [
    runStarted(runId, flowId, at, parent ? { parent } : {}),
    nodeStarted(runId, nodeId, nodeType, at + 1),
    nodeEnded(runId, span(nodeId, nodeType, at + 1, 5)),
    runFinished(runId, flowId, at, at + 10),
  ];
}
