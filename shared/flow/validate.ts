/**
 * Flow validation: every problem at once, each with a stable code, a JSON path into the
 * file and the node id / edge index it concerns. Nothing in a flow is executed here:
 * templates are parsed, never rendered; code, JSONata and URLs are not touched.
 *
 * Layers: migrate the file to the current schemaVersion → check the file shape with zod →
 * check what the shape cannot express (ids, node types and configs, templates, edges and
 * ports, required inputs, cycles) on a lenient view of the file, so that one broken field
 * does not hide the other problems, and one broken node does not flood its edges.
 */
import type { FlowProblem } from '../api/errors';
import { portTypesCompatible } from '../ports';
import { flowSchema, type Flow } from './schema';
import { FlowMigrationError, migrateFlow } from './migrate';
import { checkTemplates } from './templates';
import { findCycles, formatCycle } from './graph';
import { getNodeType, nodeTypes, type ResolvedPorts } from '../nodes/registry';
import type { FlowInterface, NodeTypeDefinition, PortContext } from '../nodes/define';
import {
  FLOW_PROBLEM_CODES,
  FlowValidationError,
  addSchemaIssue,
  closest,
  expandIssue,
  formatPath,
  isObject,
  listNames,
  suggest,
  type ProblemSink,
} from './problems';
import { checkDuplicateIO, checkReachability, firstByName, ioView, type EdgeView, type NodeView } from './flow-checks';

export { FLOW_PROBLEM_CODES, FlowValidationError, formatPath, formatProblem, type FlowProblemCode } from './problems';

export interface FlowValidationResult {
  /** True when no problem has severity `error` (warnings are allowed). */
  ok: boolean;
  /** The parsed flow (schema defaults applied) when the file shape is valid. */
  flow?: Flow;
  problems: FlowProblem[];
}

export interface ValidateOptions {
  /**
   * Other flows' declared inputs and outputs by id, for the nodes that run another flow
   * (subflow, map, loop). Without it, or undefined for an id, such a node reports `unknown_flow`.
   */
  flows?: (id: string) => FlowInterface | undefined;
}

/** Ports of every node of a (valid) flow, by node id; unknown types and invalid configs get none. */
export function resolveFlowPorts(
  flow: Pick<Flow, 'nodes' | 'inputs' | 'outputs'>,
  opts: ValidateOptions = {},
): Map<string, ResolvedPorts> {
  const ctx: PortContext = { flow: { inputs: flow.inputs ?? [], outputs: flow.outputs ?? [] }, flows: opts.flows };
  const out = new Map<string, ResolvedPorts>();
  for (const node of flow.nodes) {
    if (out.has(node.id)) continue;
    const def = getNodeType(node.type);
    const parsed = def?.config.safeParse(node.config ?? {});
    out.set(node.id, def && parsed?.success ? portsOf(def, parsed.data, ctx) : { inputs: [], outputs: [] });
  }
  return out;
}

/** Validate a flow and return it, or throw `FlowValidationError` with every problem. */
export function assertValidFlow(raw: unknown, opts: ValidateOptions = {}): Flow {
  const res = validateFlow(raw, opts);
  if (!res.ok || !res.flow) throw new FlowValidationError(res.problems);
  return res.flow;
}

/** Validate a parsed flow file (any JSON value). Never throws for bad input. */
export function validateFlow(raw: unknown, opts: ValidateOptions = {}): FlowValidationResult {
  const problems: FlowProblem[] = [];
  const add: ProblemSink = (p) => {
    problems.push({ ...p, severity: FLOW_PROBLEM_CODES[p.code] });
  };

  let doc: unknown;
  let skipVersionIssues = false;
  try {
    doc = migrateFlow(raw).flow;
  } catch (err) {
    if (!(err instanceof FlowMigrationError)) throw err;
    if (err.code === 'not_object') {
      add({ code: 'schema', message: err.message, path: '' });
      return { ok: false, problems };
    }
    add({
      code: err.code === 'migration_failed' ? 'migration_failed' : 'schema_version',
      message: err.message,
      path: 'schemaVersion',
    });
    if (err.code !== 'missing_version') return { ok: false, problems };
    doc = raw; // read the rest as the current version, so its other problems show too
    skipVersionIssues = true;
  }

  const parsed = flowSchema.safeParse(doc);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (skipVersionIssues && issue.path.length === 1 && issue.path[0] === 'schemaVersion') continue;
      addSchemaIssue(add, issue, doc);
    }
  }

  const obj = doc as Record<string, unknown>;
  const inputs = ioView(obj.inputs);
  const outputs = ioView(obj.outputs);
  checkDuplicateIO(add, inputs, 'inputs');
  checkDuplicateIO(add, outputs, 'outputs');
  // Ports of the input/output nodes come from the declared names, each once (duplicate_io reports the rest).
  const ctx: PortContext = {
    flow: { inputs: firstByName(inputs), outputs: firstByName(outputs) },
    flows: opts.flows,
  };

  const nodes: NodeView[] = [];
  const byId = new Map<string, NodeView>();
  (Array.isArray(obj.nodes) ? obj.nodes : []).forEach((n: unknown, index) => {
    const view = checkNode(add, n, index, byId, ctx);
    if (view) nodes.push(view);
  });
  const { edges, portless } = checkEdges(add, Array.isArray(obj.edges) ? obj.edges : [], byId);
  const connected = new Set(edges.map((e) => `${e.target}\u0000${e.targetPort}`));
  checkRequiredInputs(add, nodes, connected);
  // Cycles and reachability over the node graph, without edges that name a missing port.
  const graphEdges = edges.filter((e) => byId.has(e.source) && byId.has(e.target) && !portless.has(e.index));
  checkCycles(add, byId, graphEdges);
  checkReachability(add, nodes, graphEdges, inputs, outputs, connected);

  const ok = !problems.some((p) => p.severity === 'error');
  return { ok, flow: parsed.success ? parsed.data : undefined, problems };
}

function portsOf(def: NodeTypeDefinition, config: unknown, ctx: PortContext): ResolvedPorts {
  return { inputs: def.inputs(config, ctx), outputs: def.outputs(config, ctx) };
}

/** One node: id, type, templates, config, ports, values. Returns its view (undefined without a string id). */
function checkNode(
  add: ProblemSink,
  n: unknown,
  index: number,
  byId: Map<string, NodeView>,
  ctx: PortContext,
): NodeView | undefined {
  if (!isObject(n) || typeof n.id !== 'string') return undefined; // the shape check reported it
  const id = n.id;
  const type = typeof n.type === 'string' ? n.type : undefined;
  const first = byId.get(id);
  const view: NodeView = { index, id, type, duplicate: first !== undefined };
  if (first) {
    const message = `node id "${id}" is already used by nodes[${first.index}]`;
    add({ code: 'duplicate_id', message, path: `nodes[${index}].id`, nodeId: id });
  } else byId.set(id, view);
  if (isObject(n.values)) view.values = n.values;
  if (type === undefined) return view;
  const def = getNodeType(type);
  if (!def) {
    const hint = closest(type, Object.keys(nodeTypes));
    add({
      code: 'unknown_type',
      message: `unknown node type "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}; known types: ${Object.keys(nodeTypes).join(', ')}`,
      path: `nodes[${index}].type`,
      nodeId: id,
    });
    return view;
  }
  view.def = def;
  if (n.config !== undefined && !isObject(n.config)) return view; // the shape check reported it
  for (const t of checkTemplates(def, n.config)) {
    add({
      code: 'template_syntax',
      message: t.message,
      path: formatPath(['nodes', index, 'config', ...t.path]),
      nodeId: id,
    });
  }
  const res = def.config.safeParse(n.config ?? {});
  if (!res.success) {
    for (const issue of res.error.issues) {
      for (const { path, message } of expandIssue(issue)) {
        add({ code: 'invalid_config', message, path: formatPath(['nodes', index, 'config', ...path]), nodeId: id });
      }
    }
    return view;
  }
  const own = def.check?.(res.data, ctx) ?? [];
  for (const p of own) {
    add({ code: p.code, message: p.message, path: formatPath(['nodes', index, 'config', ...p.path]), nodeId: id });
  }
  if (own.length > 0) return view; // ports unknown: no edge checks against them (one mistake, one problem)
  try {
    view.ports = portsOf(def, res.data, ctx);
  } catch (err) {
    const message = `ports could not be resolved: ${(err as Error).message}`;
    add({ code: 'invalid_config', message, path: `nodes[${index}].config`, nodeId: id });
    return view;
  }
  for (const [side, list] of [
    ['input', view.ports.inputs],
    ['output', view.ports.outputs],
  ] as const) {
    const seen = new Set<string>();
    for (const p of list) {
      if (seen.has(p.name)) {
        const message = `two ${side} ports are named "${p.name}"`;
        add({ code: 'duplicate_port', message, path: `nodes[${index}].config`, nodeId: id });
      }
      seen.add(p.name);
    }
  }
  for (const key of Object.keys(view.values ?? {})) {
    if (view.ports.inputs.some((p) => p.name === key)) continue;
    add({
      code: 'unknown_value',
      message: `"${key}" is not an input port of this node (it has ${listNames(view.ports.inputs)}); the value is ignored`,
      path: formatPath(['nodes', index, 'values', key]),
      nodeId: id,
    });
  }
  return view;
}

/** Edges: endpoints, ports, port types, duplicates. Several edges may enter one port (merge). */
function checkEdges(
  add: ProblemSink,
  rawEdges: unknown[],
  byId: Map<string, NodeView>,
): { edges: EdgeView[]; portless: Set<number> } {
  const edges: EdgeView[] = [];
  /** Edges that name a missing port: left out of the cycle search (one mistake, one problem). */
  const portless = new Set<number>();
  const edgeKeys = new Map<string, number>();
  rawEdges.forEach((e: unknown, index) => {
    if (!isObject(e)) return;
    const { source, sourcePort, target, targetPort } = e;
    const strings = [source, sourcePort, target, targetPort].every((v) => typeof v === 'string');
    if (!strings) return; // the shape check reported it
    const edge = { index, source, sourcePort, target, targetPort } as EdgeView;
    edges.push(edge);
    const key = JSON.stringify([source, sourcePort, target, targetPort]);
    const prev = edgeKeys.get(key);
    if (prev !== undefined) {
      const message = `same connection as edges[${prev}]`;
      add({
        code: 'duplicate_edge',
        message,
        path: `edges[${index}]`,
        edgeIndex: index,
        nodeId: edge.target,
      });
    } else edgeKeys.set(key, index);
    const from = byId.get(edge.source);
    const to = byId.get(edge.target);
    for (const [end, id, node] of [
      ['source', edge.source, from],
      ['target', edge.target, to],
    ] as const) {
      if (node) continue;
      const message = `edge ${end} "${id}" is not a node${suggest(id, [...byId.keys()])}`;
      add({ code: 'dangling_edge', message, path: `edges[${index}].${end}`, edgeIndex: index });
    }
    const out = from?.ports?.outputs.find((p) => p.name === edge.sourcePort);
    const inp = to?.ports?.inputs.find((p) => p.name === edge.targetPort);
    if (from?.ports && !out) {
      portless.add(index);
      add({
        code: 'dangling_edge',
        message: `node "${edge.source}" has no output port "${edge.sourcePort}" (it has ${listNames(from.ports.outputs)})`,
        path: `edges[${index}].sourcePort`,
        edgeIndex: index,
        nodeId: edge.source,
      });
    }
    if (to?.ports && !inp) {
      portless.add(index);
      add({
        code: 'dangling_edge',
        message: `node "${edge.target}" has no input port "${edge.targetPort}" (it has ${listNames(to.ports.inputs)})`,
        path: `edges[${index}].targetPort`,
        edgeIndex: index,
        nodeId: edge.target,
      });
    }
    if (out && inp && !portTypesCompatible(out.type, inp.type)) {
      add({
        code: 'incompatible_ports',
        message: `${edge.source}.${edge.sourcePort} (${out.type}) cannot flow into ${edge.target}.${edge.targetPort} (${inp.type})`,
        path: `edges[${index}]`,
        edgeIndex: index,
        nodeId: edge.target,
      });
    }
  });
  return { edges, portless };
}

/** Required inputs must be connected (by any number of edges) or given a value in `values`. */
function checkRequiredInputs(add: ProblemSink, nodes: NodeView[], connected: Set<string>): void {
  for (const node of nodes) {
    if (node.duplicate || !node.ports) continue;
    for (const port of node.ports.inputs) {
      if (!port.required || connected.has(`${node.id}\u0000${port.name}`)) continue;
      const values = node.values;
      if (values && Object.prototype.hasOwnProperty.call(values, port.name) && values[port.name] !== undefined)
        continue;
      add({
        code: 'missing_input',
        message: `required input "${port.name}" (${port.type}) is neither connected nor given a value in "values"`,
        path: formatPath(['nodes', node.index, 'values', port.name]),
        nodeId: node.id,
      });
    }
  }
}

/** Each elementary cycle once, named from its first node, pointing at the edge that closes it. */
function checkCycles(add: ProblemSink, byId: Map<string, NodeView>, edges: EdgeView[]): void {
  const { cycles, truncated } = findCycles([...byId.keys()], edges);
  cycles.forEach((cycle, i) => {
    const last = cycle[cycle.length - 1];
    const closing = edges.find((e) => e.source === last && e.target === cycle[0]);
    const more =
      truncated && i === cycles.length - 1 ? ` (stopped after ${cycles.length} cycles; there may be more)` : '';
    add({
      code: 'cycle',
      message: `cycle: ${formatCycle(cycle)}; a flow must be a DAG${more}`,
      path: closing ? `edges[${closing.index}]` : `nodes[${byId.get(cycle[0])?.index ?? 0}]`,
      nodeId: cycle[0],
      edgeIndex: closing?.index,
    });
  });
}
