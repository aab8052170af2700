/**
 * A loaded flow carries the flows it calls (its closure: from the flows folder when it was
 * loaded, or from a deployment's or evaluation's snapshot). `runFlow` resolves child runs
 * from it when the caller gives no resolver of its own, so every caller that runs a
 * loaded flow (builder runs, CLI, evaluation rows, deployed endpoints) runs the same tree.
 */
import type { Flow } from '../../shared';
import type { FlowResolver } from './types';

const closures = new WeakMap<Flow, ReadonlyMap<string, Flow>>();

/** Attach the flows `flow` calls, directly or not (by id). Returns `flow`. */
export function attachClosure(flow: Flow, flows: ReadonlyMap<string, Flow>): Flow {
  closures.set(flow, flows);
  return flow;
}

/** Whether `flow` came from the flow loader (or a snapshot), with its closure attached. */
export function hasClosure(flow: unknown): flow is Flow {
  return typeof flow === 'object' && flow !== null && closures.has(flow as Flow);
}

/** The flows attached to `flow` (empty when none were). */
export function closureOf(flow: Flow): ReadonlyMap<string, Flow> {
  return closures.get(flow) ?? new Map();
}

/** A resolver over `flow`'s closure; undefined when none was attached. */
export function closureResolver(flow: Flow): FlowResolver | undefined {
  const flows = closures.get(flow);
  if (!flows) return undefined;
  return { get: (id) => Promise.resolve(flows.get(id)) };
}
