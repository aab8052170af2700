/**
 * What the subflow, map and loop executors share: starting a child run, reading the called
 * flow's interface, and turning a failed child into the node's error.
 */
import type { Flow } from '../../../shared';
import { NodeError, type NodeContext, type RunResult } from '../types';
import { NodeSuspend } from '../durable';

export type RunChild = NonNullable<NodeContext['runChild']>;

/** The context's `runChild`, or a clear error where the runtime has no flow resolver. */
export function childRunner(ctx: NodeContext): RunChild {
  if (!ctx.runChild)
    throw new NodeError(
      'no_child_runs',
      'this runtime cannot start child runs (it was started without a flows resolver)',
    );
  return ctx.runChild.bind(ctx);
}

/** The called flow (for its declared inputs and outputs). */
export async function calledFlow(ctx: NodeContext, flowId: string): Promise<Flow> {
  const flow = await ctx.services.flows?.get(flowId);
  if (!flow) throw new NodeError('unknown_flow', `unknown flow "${flowId}"`, { path: 'config.flow' });
  return flow;
}

/** A short description of why a child run did not succeed. */
export function childError(res: RunResult): { code: string; message: string; nodeId?: string } {
  const e = res.trace.error;
  return {
    code: e?.code ?? (res.status === 'cancelled' ? 'cancelled' : 'child_failed'),
    message: e?.message ?? `the child run ${res.status === 'cancelled' ? 'was cancelled' : 'failed'}`,
    ...(e?.nodeId !== undefined ? { nodeId: e.nodeId } : {}),
  };
}

/** The node's error for a child run that failed (or was cancelled). */
export function childFailure(res: RunResult, flowId: string, what = 'flow'): NodeError {
  const e = childError(res);
  const at = e.nodeId !== undefined ? ` at node "${e.nodeId}"` : '';
  return new NodeError('child_failed', `${what} "${flowId}" (run ${res.runId}) ${res.status}${at}: ${e.message}`, {
    path: 'config.flow',
  });
}

/** The called flow's outputs a child run left out (its branch was not taken): skipped ports. */
export function absentOutputs(flow: Flow, outputs: Record<string, unknown>): string[] {
  return flow.outputs.filter((o) => outputs[o.name] === undefined).map((o) => o.name);
}

/** The node's inputs without undefined values (a child run checks them against its declared inputs). */
export function definedInputs(inputs: Record<string, unknown>, except?: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(inputs)) if (v !== undefined && k !== except) out[k] = v;
  return out;
}

/** A child run that ended `waiting` (it paused for a person): the node waits too. */
export function waitOnChild(what: string): never {
  throw new NodeSuspend(`waiting on ${what}`);
}
