/**
 * A flow snapshot (deployment version, evaluation) holds the flow TOGETHER with every flow
 * it calls, so editing a called flow's file never changes a deployed version or a finished
 * evaluation. Stored as two JSON texts: the flow, and its closure by id (null when empty).
 */
import type { Flow } from '../../shared';
import { fromJson } from '../storage/index';
import { attachClosure, closureOf } from '../runtime/closure';

/** JSON of the flows `flow` calls (its attached closure), by id; null when it calls none. */
export function closureJson(flow: Flow): string | null {
  const closure = closureOf(flow);
  if (closure.size === 0) return null;
  return JSON.stringify(Object.fromEntries([...closure].sort(([a], [b]) => a.localeCompare(b))));
}

/** The snapshot's flow with its stored closure attached (what its runs resolve child flows from). */
export function fromSnapshot(flowJson: string, flowsJson: string | null | undefined): Flow {
  const flow = fromJson<Flow>(flowJson);
  const flows = flowsJson ? fromJson<Record<string, Flow>>(flowsJson, {}) : {};
  return attachClosure(flow, new Map(Object.entries(flows)));
}

/** Ids of a snapshot's flows: the flow itself first, then the flows it calls. */
export function snapshotFlowIds(flow: Flow): string[] {
  return [flow.id, ...[...closureOf(flow).keys()].sort()];
}
