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
import type { z } from 'zod';
import type { FlowProblem } from '../api/errors';
import { PORT_TYPES, portTypesCompatible, type PortSpec, type PortType } from '../ports';
import { flowSchema, type Flow, type FlowIO } from './schema';
import { FlowMigrationError, migrateFlow } from './migrate';
import { checkTemplates } from './templates';
import { findCycles, formatCycle, reachableFrom } from './graph';
import { getNodeType, nodeTypes, type ResolvedPorts } from '../nodes/registry';
import type { NodeTypeDefinition, PortContext } from '../nodes/define';

export interface FlowValidationResult {
  /** True when no problem has severity `error` (warnings are allowed). */
  ok: boolean;
  /** The parsed flow (schema defaults applied) when the file shape is valid. */
  flow?: Flow;
  problems: FlowProblem[];
}

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

/** `path (node x): message [code]`, as the CLI prints a problem. */
export function formatProblem(p: FlowProblem): string {
  const where = p.path || '(file)';
  const node = p.nodeId !== undefined ? ` (node ${p.nodeId})` : '';
  const sev = p.severity === 'warning' ? 'warning: ' : '';
  return `${where}${node}: ${sev}${p.message} [${p.code}]`;
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

/** Ports of every node of a (valid) flow, by node id; unknown types and invalid configs get none. */
export function resolveFlowPorts(flow: Pick<Flow, 'nodes' | 'inputs' | 'outputs'>): Map<string, ResolvedPorts> {
  const ctx: PortContext = { flow: { inputs: flow.inputs ?? [], outputs: flow.outputs ?? [] } };
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
export function assertValidFlow(raw: unknown): Flow {
  const res = validateFlow(raw);
  if (!res.ok || !res.flow) throw new FlowValidationError(res.problems);
  return res.flow;
}

interface NodeView {
  index: number;
  id: string;
  type: string | undefined;
  def?: NodeTypeDefinition;
  /** Resolved ports; undefined when the type is unknown or the config invalid (no port checks then). */
  ports?: ResolvedPorts;
  values?: Record<string, unknown>;
  duplicate: boolean;
}

interface EdgeView {
  index: number;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

/** Validate a parsed flow file (any JSON value). Never throws for bad input. */
export function validateFlow(raw: unknown): FlowValidationResult {
  const problems: FlowProblem[] = [];
  const add = (p: Omit<FlowProblem, 'severity'> & { severity?: FlowProblem['severity'] }): void => {
    problems.push({ severity: 'error', ...p });
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
  const ctx: PortContext = { flow: { inputs: firstByName(inputs), outputs: firstByName(outputs) } };

  // Nodes: ids, types, configs, templates, ports.
  const nodes: NodeView[] = [];
  const byId = new Map<string, NodeView>();
  const rawNodes = Array.isArray(obj.nodes) ? obj.nodes : [];
  rawNodes.forEach((n: unknown, index) => {
    if (!isObject(n) || typeof n.id !== 'string') return;
    const id = n.id;
    const type = typeof n.type === 'string' ? n.type : undefined;
    const first = byId.get(id);
    const view: NodeView = { index, id, type, duplicate: first !== undefined };
    if (first)
      add({
        code: 'duplicate_id',
        message: `node id "${id}" is already used by nodes[${first.index}]`,
        path: `nodes[${index}].id`,
        nodeId: id,
      });
    else byId.set(id, view);
    nodes.push(view);
    if (isObject(n.values)) view.values = n.values;
    if (type === undefined) return;
    const def = getNodeType(type);
    if (!def) {
      const hint = closest(type, Object.keys(nodeTypes));
      add({
        code: 'unknown_type',
        message: `unknown node type "${type}"${hint ? ` (did you mean "${hint}"?)` : ''}; known types: ${Object.keys(nodeTypes).join(', ')}`,
        path: `nodes[${index}].type`,
        nodeId: id,
      });
      return;
    }
    view.def = def;
    if (n.config !== undefined && !isObject(n.config)) return; // the shape check reported it
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
      return;
    }
    try {
      view.ports = portsOf(def, res.data, ctx);
    } catch (err) {
      add({
        code: 'invalid_config',
        message: `ports could not be resolved: ${(err as Error).message}`,
        path: `nodes[${index}].config`,
        nodeId: id,
      });
      return;
    }
    for (const [side, list] of [
      ['input', view.ports.inputs],
      ['output', view.ports.outputs],
    ] as const) {
      const seen = new Set<string>();
      for (const p of list) {
        if (seen.has(p.name)) {
          add({
            code: 'duplicate_port',
            message: `two ${side} ports are named "${p.name}"`,
            path: `nodes[${index}].config`,
            nodeId: id,
          });
        }
        seen.add(p.name);
      }
    }
    for (const key of Object.keys(view.values ?? {})) {
      if (!view.ports.inputs.some((p) => p.name === key)) {
        add({
          code: 'unknown_value',
          severity: 'warning',
          message: `"${key}" is not an input port of this node (it has ${listNames(view.ports.inputs)}); the value is ignored`,
          path: formatPath(['nodes', index, 'values', key]),
          nodeId: id,
        });
      }
    }
  });

  // Edges: endpoints, ports, types.
  const edges: EdgeView[] = [];
  /** Edges that name a missing port: left out of the cycle search (one mistake, one problem). */
  const portless = new Set<number>();
  const edgeKeys = new Map<string, number>();
  const rawEdges = Array.isArray(obj.edges) ? obj.edges : [];
  rawEdges.forEach((e: unknown, index) => {
    if (!isObject(e)) return;
    const { source, sourcePort, target, targetPort } = e;
    if (
      typeof source !== 'string' ||
      typeof sourcePort !== 'string' ||
      typeof target !== 'string' ||
      typeof targetPort !== 'string'
    )
      return;
    const edge: EdgeView = { index, source, sourcePort, target, targetPort };
    edges.push(edge);
    const key = JSON.stringify([source, sourcePort, target, targetPort]);
    const prev = edgeKeys.get(key);
    if (prev !== undefined) {
      add({
        code: 'duplicate_edge',
        severity: 'warning',
        message: `same connection as edges[${prev}]`,
        path: `edges[${index}]`,
        edgeIndex: index,
        nodeId: target,
      });
    } else edgeKeys.set(key, index);
    const from = byId.get(source);
    const to = byId.get(target);
    if (!from)
      add({
        code: 'dangling_edge',
        message: `edge source "${source}" is not a node${suggest(source, byId)}`,
        path: `edges[${index}].source`,
        edgeIndex: index,
      });
    if (!to)
      add({
        code: 'dangling_edge',
        message: `edge target "${target}" is not a node${suggest(target, byId)}`,
        path: `edges[${index}].target`,
        edgeIndex: index,
      });
    const out = from?.ports?.outputs.find((p) => p.name === sourcePort);
    const inp = to?.ports?.inputs.find((p) => p.name === targetPort);
    if (from?.ports && !out) {
      portless.add(index);
      add({
        code: 'dangling_edge',
        message: `node "${source}" has no output port "${sourcePort}" (it has ${listNames(from.ports.outputs)})`,
        path: `edges[${index}].sourcePort`,
        edgeIndex: index,
        nodeId: source,
      });
    }
    if (to?.ports && !inp) {
      portless.add(index);
      add({
        code: 'dangling_edge',
        message: `node "${target}" has no input port "${targetPort}" (it has ${listNames(to.ports.inputs)})`,
        path: `edges[${index}].targetPort`,
        edgeIndex: index,
        nodeId: target,
      });
    }
    if (out && inp && !portTypesCompatible(out.type, inp.type)) {
      add({
        code: 'incompatible_ports',
        message: `${source}.${sourcePort} (${out.type}) cannot flow into ${target}.${targetPort} (${inp.type})`,
        path: `edges[${index}]`,
        edgeIndex: index,
        nodeId: target,
      });
    }
  });

  // Required inputs: connected (several edges may enter one port) or given a value.
  const connected = new Set(edges.map((e) => `${e.target}\u0000${e.targetPort}`));
  for (const node of nodes) {
    if (node.duplicate || !node.ports) continue;
    for (const port of node.ports.inputs) {
      if (!port.required || connected.has(`${node.id}\u0000${port.name}`)) continue;
      if (
        node.values &&
        Object.prototype.hasOwnProperty.call(node.values, port.name) &&
        node.values[port.name] !== undefined
      )
        continue;
      add({
        code: 'missing_input',
        message: `required input "${port.name}" (${port.type}) is neither connected nor given a value in "values"`,
        path: formatPath(['nodes', node.index, 'values', port.name]),
        nodeId: node.id,
      });
    }
  }

  // Cycles: over the node graph (ports do not matter), each elementary cycle once.
  const ids = [...byId.keys()];
  const graphEdges = edges.filter((e) => byId.has(e.source) && byId.has(e.target) && !portless.has(e.index));
  const { cycles, truncated } = findCycles(ids, graphEdges);
  cycles.forEach((cycle, i) => {
    const last = cycle[cycle.length - 1];
    const closing = graphEdges.find((e) => e.source === last && e.target === cycle[0]);
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

  checkReachability(add, nodes, graphEdges, inputs, outputs, connected);

  const ok = !problems.some((p) => p.severity === 'error');
  return { ok, flow: parsed.success ? parsed.data : undefined, problems };
}

type Add = (p: Omit<FlowProblem, 'severity'> & { severity?: FlowProblem['severity'] }) => void;

function portsOf(def: NodeTypeDefinition, config: unknown, ctx: PortContext): ResolvedPorts {
  return { inputs: def.inputs(config, ctx), outputs: def.outputs(config, ctx) };
}

/** The flow's declared inputs/outputs, leniently: entries without a usable name are skipped. */
function ioView(list: unknown): Array<{ index: number; io: FlowIO }> {
  if (!Array.isArray(list)) return [];
  const out: Array<{ index: number; io: FlowIO }> = [];
  list.forEach((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry.name !== 'string') return;
    const t = entry.type;
    const type: PortType =
      t === undefined ? 'string' : (PORT_TYPES as readonly unknown[]).includes(t) ? (t as PortType) : 'any';
    out.push({ index, io: { name: entry.name, type, required: entry.required === true, description: undefined } });
  });
  return out;
}

function firstByName(list: Array<{ io: FlowIO }>): FlowIO[] {
  const seen = new Set<string>();
  return list.map((e) => e.io).filter((io) => !seen.has(io.name) && seen.add(io.name));
}

function checkDuplicateIO(add: Add, list: Array<{ index: number; io: FlowIO }>, where: 'inputs' | 'outputs'): void {
  const seen = new Map<string, number>();
  for (const { index, io } of list) {
    const prev = seen.get(io.name);
    if (prev !== undefined) {
      add({
        code: 'duplicate_io',
        message: `flow ${where.slice(0, -1)} "${io.name}" is already declared at ${where}[${prev}]`,
        path: `${where}[${index}].name`,
      });
    } else seen.set(io.name, index);
  }
}

function checkReachability(
  add: Add,
  nodes: NodeView[],
  edges: EdgeView[],
  inputs: Array<{ index: number; io: FlowIO }>,
  outputs: Array<{ index: number; io: FlowIO }>,
  connected: Set<string>,
): void {
  const unique = nodes.filter((n) => !n.duplicate);
  const outputNodes = unique.filter((n) => n.type === 'output' && n.ports);
  const inputNodes = unique.filter((n) => n.type === 'input' && n.ports);
  if (outputNodes.length > 0) {
    const reversed = edges.map((e) => ({ source: e.target, target: e.source }));
    const leadsToOutput = reachableFrom(
      outputNodes.map((n) => n.id),
      reversed,
    );
    for (const n of unique) {
      if (n.type === 'input' || n.type === 'output' || leadsToOutput.has(n.id)) continue;
      add({
        code: 'unreachable',
        severity: 'warning',
        message: `no path leads from node "${n.id}" to the flow's outputs, so its result is never used`,
        path: `nodes[${n.index}]`,
        nodeId: n.id,
      });
    }
    for (const { index, io } of outputs) {
      if (outputNodes.some((n) => connected.has(`${n.id}\u0000${io.name}`))) continue;
      add({
        code: 'unconnected_output',
        severity: 'warning',
        message: `flow output "${io.name}" is not connected to an output node; runs will not return it`,
        path: `outputs[${index}]`,
      });
    }
  }
  if (inputNodes.length > 0) {
    const used = new Set(edges.filter((e) => inputNodes.some((n) => n.id === e.source)).map((e) => e.sourcePort));
    for (const { index, io } of inputs) {
      if (used.has(io.name)) continue;
      add({
        code: 'unused_input',
        severity: 'warning',
        message: `flow input "${io.name}" is not used by any node`,
        path: `inputs[${index}]`,
      });
    }
  }
}

function addSchemaIssue(add: Add, issue: z.core.$ZodIssue, doc: unknown): void {
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
function expandIssue(issue: z.core.$ZodIssue): Array<{ path: PropertyKey[]; message: string }> {
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

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function listNames(ports: PortSpec[]): string {
  return ports.length === 0 ? 'none' : ports.map((p) => `"${p.name}"`).join(', ');
}

function suggest(id: string, byId: Map<string, unknown>): string {
  const hint = closest(id, [...byId.keys()]);
  return hint ? ` (did you mean "${hint}"?)` : '';
}

/** The candidate within edit distance 2 (or a third of the length) of `word`, if any. */
function closest(word: string, candidates: string[]): string | undefined {
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
