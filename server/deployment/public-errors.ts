/**
 * What a public caller (deployed endpoint, OpenAI-compatible API) is told when a run fails:
 * Braid's own words for the error's code, the node and the trace id. The node's own message
 * — a model provider's error text and troubleshooting URLs, a third-party server's answer, a
 * code node's exception — stays in the trace and the request log for the operator.
 */
import type { Flow, SpanError } from '../../shared';
import { GUARD_NODE_TYPES } from '../../shared/flow/streaming';

const WORDS: Record<string, string> = {
  rate_limited: 'the model provider is rate limiting this deployment',
  quota_exceeded: "the model provider's quota is used up",
  provider_error: 'the model provider answered with a server error',
  provider_unavailable: 'the model provider could not be reached',
  provider_timeout: 'the model provider did not answer in time',
  provider_auth: "the model provider refused the server's credentials",
  provider_bad_request: 'the model provider refused the request',
  model_not_found: 'the configured model is not available at the provider',
  stream_interrupted: "the model provider's answer was cut off",
  stream_stalled: "the model provider's answer stalled",
  llm_error: 'the model call failed',
  http_error: 'an HTTP call of the flow failed',
  http_timeout: 'an HTTP call of the flow timed out',
  response_too_large: 'an HTTP call of the flow returned too large a response',
  invalid_response: 'an HTTP call of the flow returned an unreadable response',
  ssrf_blocked: 'an HTTP call of the flow was refused by the server’s network policy',
  timeout: 'a step of the flow timed out',
  cancelled: 'the run was cancelled',
  validation_failed: 'the output did not pass validation',
};

/**
 * The message of a failed run for a public caller: what failed, in Braid's words. A failure
 * at a guardrail (a validator node, whatever its code) only says the output did not pass:
 * a validator's own message may quote the very text it blocked.
 */
export function publicRunFailure(
  error: (SpanError & { nodeId?: string }) | undefined,
  status: string,
  flow?: Pick<Flow, 'nodes'>,
): string {
  if (!error) return `the run ended ${status}`;
  const type = error.nodeId && flow ? flow.nodes.find((n) => n.id === error.nodeId)?.type : undefined;
  const what =
    type !== undefined && GUARD_NODE_TYPES.has(type)
      ? WORDS.validation_failed
      : (WORDS[error.code] ?? `a step of the flow failed (${error.code})`);
  return `the flow failed${error.nodeId ? ` at node "${error.nodeId}"` : ''}: ${what}; the trace has the details`;
}
