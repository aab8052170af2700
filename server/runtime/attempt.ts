/**
 * One attempt of a node: call its executor under a deadline, and turn whatever it throws
 * into a NodeError.
 */
import type { NodeAbort } from './run-context';
import { NodeError, type Executor, type NodeContext, type NodeResult } from './types';

/** The scheduler's own reason for aborting a node (never an executor's). */
export class RunStop extends NodeError {}

export function toNodeError(err: unknown): NodeError {
  if (err instanceof NodeError) return err;
  if (err instanceof Error) return new NodeError('node_error', err.message || err.name, { cause: err });
  return new NodeError('node_error', typeof err === 'string' ? err : 'the node failed');
}

/** Call an executor; reject as soon as the node's signal aborts or its attempt times out. */
export function callWithDeadline(
  exec: Executor<unknown>,
  ctx: NodeContext,
  ctrl: NodeAbort,
  timeoutMs: number,
  nodeId: string,
): Promise<NodeResult> {
  return new Promise<NodeResult>((resolve, reject) => {
    let settled = false;
    // 0: no deadline (nodes that wait on child runs; the children's nodes have their own).
    const timer =
      timeoutMs > 0
        ? setTimeout(() => {
            ctrl.abort(new NodeError('timeout', `node "${nodeId}" timed out after ${timeoutMs} ms`));
          }, timeoutMs)
        : undefined;
    ctrl.onAbort((reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(reason);
    });
    const done = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctrl.onAbort(undefined);
      fn();
    };
    let p: Promise<NodeResult>;
    try {
      p = exec(ctx);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) =>
        done(() =>
          r && typeof r === 'object'
            ? resolve(r)
            : reject(new NodeError('bad_result', 'the executor returned no result')),
        ),
      (e: unknown) => done(() => reject(e)),
    );
  });
}
