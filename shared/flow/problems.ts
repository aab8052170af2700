/**
 * Building and formatting validation problems: JSON paths, zod issues mapped to problem
 * codes, "did you mean" hints, and the error class that carries every problem.
 */
import type { z } from 'zod';
import type { FlowProblem } from '../api/errors';
import type { PortSpec } from '../ports';

/** Every code validation reports, with its severity (docs/flow-format.md explains each). */
export const FLOW_PROBLEM_CODES = {
  schema: 'error',
  schema_version: 'error',
  migration_failed: 'error',
  unsafe_id: 'error',
  duplicate_id: 'error',
  unknown_type: 'error',
  invalid_config: 'error',
  template_syntax: 'error',
  duplicate_port: 'error',
  dangling_edge: 'error',
  incompatible_ports: 'error',
  missing_input: 'error',
  cycle: 'error',
  duplicate_io: 'error',
  unknown_flow: 'error',
  flow_cycle: 'error',
  child_flow_invalid: 'error',
  unreachable: 'warning',
  unconnected_output: 'warning',
  unused_input: 'warning',
  unknown_value: 'warning',
  duplicate_edge: 'warning',
} as const satisfies Record<string, FlowProblem['severity']>;
export type FlowProblemCode = keyof typeof FLOW_PROBLEM_CODES;

/** Where checks report; the severity comes from the code. */
export type ProblemSink = (p: Omit<FlowProblem, 'severity' | 'code'> & { code: FlowProblemCode }) => void;

/** Thrown by `assertValidFlow` (and by callers that refuse invalid flows); carries every problem. */
export class FlowValidationError extends Error {
  readonly problems: FlowProblem[];
  constructor(problems: FlowProblem[], message?: string) {
    const errors = problems.filter((p) => p.severity === 'error');
    super(
      message ?? `invalid flow: ${errors.length} problem(s)${errors[0] ? `; first: ${formatProblem(errors[0])}` : ''}`,
    );
    this.name = 'FlowValidationError';
    this.problems = problems;
  }
}

/** `path (node x): message [code]`, as the CLI prints a problem (callers show the severity). */
export function formatProblem(p: FlowProblem): string {
  const where = p.path || '(file)';
  const node = p.nodeId !== undefined ? ` (node ${p.nodeId})` : '';
  return `${where}${node}: ${p.message} [${p.code}]`;
}

/** `nodes[2].config.messages[0].content` from `['nodes', 2, 'config', 'messages', 0, 'content']`. */
export function formatPath(segments: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

export function addSchemaIssue(add: ProblemSink, issue: z.core.$ZodIssue, doc: unknown): void {
  for (const { path, message } of expandIssue(issue)) {
    const isId = path[path.length - 1] === 'id' && (path.length === 1 || (path.length === 3 && path[0] === 'nodes'));
    const idFormat =
      isId && (issue.code === 'invalid_format' || issue.code === 'too_big' || issue.code === 'too_small');
    const nodeIndex = path[0] === 'nodes' && typeof path[1] === 'number' ? path[1] : undefined;
    const edgeIndex = path[0] === 'edges' && typeof path[1] === 'number' ? path[1] : undefined;
    const rawNode = nodeIndex !== undefined ? (doc as { nodes: unknown[] }).nodes[nodeIndex] : undefined;
    const nodeId = isObject(rawNode) && typeof rawNode.id === 'string' ? rawNode.id : undefined;
    add({
      code: idFormat ? 'unsafe_id' : 'schema',
      message: idFormat ? `unsafe id ${JSON.stringify(valueAt(doc, path))}: ${message}` : message,
      path: formatPath(path),
      nodeId,
      edgeIndex,
    });
  }
}

/** One problem per unknown key, zod's message otherwise. */
export function expandIssue(issue: z.core.$ZodIssue): Array<{ path: PropertyKey[]; message: string }> {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown field "${key}"` }));
  }
  return [{ path: [...issue.path], message: issue.message }];
}

function valueAt(doc: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = doc;
  for (const seg of path)
    cur = isObject(cur) || Array.isArray(cur) ? (cur as Record<PropertyKey, unknown>)[seg] : undefined;
  return cur;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function listNames(ports: PortSpec[]): string {
  return ports.length === 0 ? 'none' : ports.map((p) => `"${p.name}"`).join(', ');
}

export function suggest(id: string, candidates: string[]): string {
  const hint = closest(id, candidates);
  return hint ? ` (did you mean "${hint}"?)` : '';
}

/** The candidate within edit distance 2 (or a third of the length) of `word`, if any. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
