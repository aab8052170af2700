/**
 * What a public caller (deployed endpoint, chat completions) is told when a run fails. A
 * failure at a guardrail names the node and says the output did not pass, never what the
 * validator reported: its message may quote the very text it blocked ("contains <secret>").
 * The trace and the request log keep the detail for the operator.
 */
import type { Flow, Trace } from '../../shared';
import { GUARD_NODE_TYPES } from '../../shared/flow/streaming';

/** Error codes whose message may quote checked content. */
const GUARD_CODES: ReadonlySet<string> = new Set(['validation_failed']);

export function publicFailure(flow: Flow, trace: Trace, status: Trace['status']): string {
  const err = trace.error;
  if (!err) return `the run ended ${status}`;
  const at = err.nodeId ? ` at node "${err.nodeId}"` : '';
  const type = err.nodeId ? flow.nodes.find((n) => n.id === err.nodeId)?.type : undefined;
  if (GUARD_CODES.has(err.code) || (type !== undefined && GUARD_NODE_TYPES.has(type)))
    return `the flow failed${at}: the output did not pass validation (the operator can see why in trace ${trace.runId})`;
  return `the flow failed${at}: ${err.message}`;
}
