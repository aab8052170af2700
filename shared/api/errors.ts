/** The JSON error envelope every API error uses. */
export interface ApiErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** One problem found in a flow (validation reports all of them). */
export interface FlowProblem {
  /** Stable code: `cycle`, `unknown_type`, `dangling_edge`, `missing_input`, `incompatible_ports`, `duplicate_id`, `unsafe_id`, `invalid_config`, `schema`, `template_syntax`, … */
  code: string;
  message: string;
  /** JSON path into the flow file, e.g. `nodes[2].config.messages[0].content`. */
  path: string;
  nodeId?: string;
  /** Index of the edge in `edges`, when the problem is an edge. */
  edgeIndex?: number;
  severity: 'error' | 'warning';
}

/**
 * A zod `error` callback for request schemas: "required" for a missing field, zod's own
 * message for anything else (a schema-wide message would hide `max`).
 */
export function requiredOrType(issue: { input?: unknown }): string | undefined {
  return issue.input === undefined ? 'required' : undefined;
}
