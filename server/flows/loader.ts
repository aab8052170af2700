/**
 * The one flow loader (HTTP routes, CLI, evaluation, deployment): the same parsing,
 * migration and validation everywhere, plus the closure of the flows a flow calls
 * (subflow, map, loop). It reports an unknown called flow (`unknown_flow`), a called flow
 * with problems of its own (`child_flow_invalid`) and flows that call each other in a
 * circle (`flow_cycle`, named in full: a → b → a). A valid loaded flow carries its closure
 * (server/runtime/closure.ts), so its runs resolve child flows from what was loaded.
 */
import {
  flowCycles,
  flowReferences,
  formatCycle,
  formatProblem,
  FLOW_PROBLEM_CODES,
  validateFlow,
  type Flow,
  type FlowInterface,
  type FlowReference,
} from '../../shared';
import type { FlowProblem } from '../../shared/api/errors';
import { attachClosure } from '../runtime/closure';

/** Where flow documents come from: the flows folder, or a deployment's / evaluation's snapshot. */
export interface FlowDocuments {
  /** The raw document of flow `id`; undefined when there is none. May throw (a malformed file). */
  read(id: string): Promise<unknown>;
}

export interface LoadedFlow {
  /** The parsed flow when its file shape is valid (with its closure attached when `valid`). */
  flow?: Flow;
  /** Every problem of the flow itself plus the cross-flow ones (warnings included). */
  problems: FlowProblem[];
  /** No problem of severity error, here or in any flow it calls. */
  valid: boolean;
  /** The valid flows it calls, directly or not, by id (itself excluded). */
  closure: Map<string, Flow>;
}

interface Entry {
  flow?: Flow;
  refs: FlowReference[];
  /** Why it could not be read (a malformed file). */
  unreadable?: string;
  errors: FlowProblem[];
}

/** Load `document` (any JSON value) and the flows it calls from `docs`. Never throws for bad input. */
export async function loadFlow(document: unknown, docs: FlowDocuments): Promise<LoadedFlow> {
  const shape = validateFlow(document);
  const rootId = shape.flow?.id ?? '';
  const rootRefs = shape.flow ? flowReferences(shape.flow) : [];
  if (rootRefs.length === 0) {
    return { ...(shape.flow ? { flow: attachClosure(shape.flow, new Map()) } : {}), ...result(shape.problems) };
  }

  // Read the closure breadth-first, each flow once.
  const entries = new Map<string, Entry>();
  const queue = rootRefs.map((r) => r.flow);
  for (let q = 0; q < queue.length; q++) {
    const id = queue[q];
    if (entries.has(id) || id === rootId) continue;
    let raw: unknown;
    try {
      raw = await docs.read(id);
    } catch (err) {
      entries.set(id, { refs: [], unreadable: (err as Error).message, errors: [] });
      continue;
    }
    if (raw === undefined) continue; // unknown: validation reports `unknown_flow` where it is called
    const parsed = validateFlow(raw);
    const refs = parsed.flow ? flowReferences(parsed.flow) : [];
    entries.set(id, { flow: parsed.flow, refs, errors: [] });
    queue.push(...refs.map((r) => r.flow));
  }

  const io = (id: string): FlowInterface | undefined => {
    const f = id === rootId ? shape.flow : entries.get(id)?.flow;
    return f ? { inputs: f.inputs, outputs: f.outputs } : undefined;
  };
  const root = validateFlow(document, { flows: io });
  const closure = new Map<string, Flow>();
  for (const [id, e] of entries) {
    if (!e.flow) continue;
    const res = validateFlow(e.flow, { flows: io });
    e.errors = res.problems.filter((p) => p.severity === 'error');
    if (res.ok && res.flow) closure.set(id, res.flow);
  }

  const problems = [...root.problems];
  const add = (ref: FlowReference, code: 'child_flow_invalid' | 'flow_cycle', message: string): void => {
    problems.push({ code, message, path: ref.path, nodeId: ref.nodeId, severity: FLOW_PROBLEM_CODES[code] });
  };
  const refsOf = (id: string): FlowReference[] => (id === rootId ? rootRefs : (entries.get(id)?.refs ?? []));

  // Cross-flow cycles, each reported once, on the root's first reference that leads into it.
  const ids = [rootId, ...entries.keys()];
  const onCycle = new Set<string>();
  for (const cycle of flowCycles(ids, (id) => refsOf(id).map((r) => r.flow))) {
    cycle.forEach((id) => onCycle.add(id));
    const ref = rootRefs.find((r) => r.flow === cycle[0] || reaches(r.flow, new Set(cycle), refsOf, rootId));
    const named = rotate(cycle, rootId);
    if (ref) add(ref, 'flow_cycle', `flows call each other in a circle: ${formatCycle(named)}`);
    for (const id of cycle) closure.delete(id);
  }

  // Called flows with problems of their own, or calling such flows.
  const why = new Map<string, string | null>();
  const problemOf = (id: string, seen: Set<string>): string | null => {
    if (why.has(id)) return why.get(id)!;
    if (seen.has(id) || onCycle.has(id)) return null; // cycles are reported above
    seen.add(id);
    const e = entries.get(id);
    let out: string | null = null;
    if (!e)
      out = null; // unknown: reported as unknown_flow by its caller
    else if (e.unreadable) out = `flow "${id}" cannot be read: ${e.unreadable}`;
    else if (e.errors.length > 0)
      out = `flow "${id}" has ${e.errors.length} problem(s); first: ${formatProblem(e.errors[0])}`;
    else if (!e.flow) out = `flow "${id}" does not parse`;
    else {
      for (const r of e.refs) {
        const deeper = problemOf(r.flow, seen);
        if (deeper) {
          out = `flow "${id}" calls ${deeper}`;
          break;
        }
      }
    }
    why.set(id, out);
    if (out) closure.delete(id);
    return out;
  };
  const reported = new Set<string>();
  for (const ref of rootRefs) {
    if (reported.has(ref.path)) continue;
    const p = problemOf(ref.flow, new Set());
    if (p) {
      reported.add(ref.path);
      add(ref, 'child_flow_invalid', p);
    }
  }
  const out = result(problems);
  if (out.valid && root.flow) return { flow: attachClosure(root.flow, closure), ...out, closure };
  return { ...(root.flow ? { flow: root.flow } : {}), ...out, closure };
}

function result(problems: FlowProblem[]): { problems: FlowProblem[]; valid: boolean; closure: Map<string, Flow> } {
  return { problems, valid: !problems.some((p) => p.severity === 'error'), closure: new Map() };
}

/** Whether `from` reaches any of `targets` by references. */
function reaches(from: string, targets: Set<string>, refsOf: (id: string) => FlowReference[], rootId: string): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (targets.has(id)) return true;
    if (seen.has(id) || id === rootId) continue;
    seen.add(id);
    stack.push(...refsOf(id).map((r) => r.flow));
  }
  return false;
}

/** The cycle starting at `first` when it is on it (so a cycle through the root reads root → … → root). */
function rotate(cycle: string[], first: string): string[] {
  const i = cycle.indexOf(first);
  return i <= 0 ? cycle : [...cycle.slice(i), ...cycle.slice(0, i)];
}

/** Documents from an in-memory snapshot (deployment version, evaluation). */
export function snapshotDocuments(flows: ReadonlyMap<string, unknown> | Record<string, unknown>): FlowDocuments {
  const map = flows instanceof Map ? flows : new Map(Object.entries(flows));
  return { read: (id) => Promise.resolve(map.get(id)) };
}
