/**
 * The trace of a run: one span per node (nodes that never ran included), usage summed,
 * cost null when any model call had an unknown price.
 */
import type { FlowNode, SpanStatus, Trace } from '../../shared';
import { SpanRecord } from './run-context';

export interface TraceParts {
  runId: string;
  flowId: string;
  status: Trace['status'];
  error?: Trace['error'];
  startedAt: number;
  endedAt: number;
  inputs: Record<string, unknown>;
  /** Present on a child run. */
  parent?: Trace['parent'];
  /** Outputs gathered outside `runOutputs` (single-node runs). */
  outputs: Record<string, unknown>;
  nodes: Array<{
    node: FlowNode;
    record?: SpanRecord;
    /** Undefined: the node never settled (the run stopped first). */
    status?: SpanStatus;
    runOutputs?: Record<string, unknown>;
  }>;
}

export function assembleTrace(parts: TraceParts): Trace {
  const outputs = parts.outputs;
  const spans = [];
  let promptTokens = 0;
  let completionTokens = 0;
  let totalTokens = 0;
  let cost: number | null = 0;
  for (const n of parts.nodes) {
    let rec = n.record;
    let status = n.status;
    if (!rec || !status) {
      // A waiting run has not reached these nodes yet: a later attempt runs them.
      if (parts.status === 'waiting') continue;
      rec ??= new SpanRecord(n.node.id, n.node.type);
      if (!rec.startedAt) rec.startedAt = parts.endedAt;
      rec.endedAt = Math.max(rec.endedAt, rec.startedAt);
      rec.skipReason = `not run: the run ${parts.status === 'cancelled' ? 'was cancelled' : 'failed'}`;
      status = 'cancelled';
    }
    if (status === 'succeeded' && n.runOutputs) Object.assign(outputs, n.runOutputs);
    if (rec.tokens) {
      promptTokens += rec.tokens.promptTokens;
      completionTokens += rec.tokens.completionTokens;
      totalTokens += rec.tokens.totalTokens;
    }
    if (rec.cost === null) cost = null;
    else if (rec.cost !== undefined && cost !== null) cost += rec.cost;
    // Child runs' usage (subflow, map, loop, agent flow tools) belongs to this run's total.
    const child = rec.childUsage;
    if (child) {
      promptTokens += child.promptTokens;
      completionTokens += child.completionTokens;
      totalTokens += child.totalTokens;
      if (child.cost === null) cost = null;
      else if (cost !== null) cost += child.cost;
    }
    spans.push(rec.toSpan(status));
  }
  spans.sort((a, b) => a.startedAt - b.startedAt);
  const trace: Trace = {
    runId: parts.runId,
    flowId: parts.flowId,
    status: parts.status,
    startedAt: Math.floor(parts.startedAt),
    durationMs: Math.round((parts.endedAt - parts.startedAt) * 1000) / 1000,
    inputs: parts.inputs,
    outputs,
    spans,
    usage: { promptTokens, completionTokens, totalTokens, cost: cost === null ? null : Math.round(cost * 1e6) / 1e6 },
  };
  if (parts.error) trace.error = parts.error;
  if (parts.parent) trace.parent = parts.parent;
  return trace;
}
