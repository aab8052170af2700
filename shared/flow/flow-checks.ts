/**
 * Checks over the flow's declared inputs/outputs and its reachability (warnings), on the
 * lenient view of a flow file that validate.ts builds.
 */
import type { FlowIO } from './schema';
import { PORT_TYPES, type PortType } from '../ports';
import { reachableFrom } from './graph';
import { isObject, type ProblemSink } from './problems';
import type { ResolvedPorts } from '../nodes/registry';
import type { NodeTypeDefinition } from '../nodes/define';

export interface NodeView {
  index: number;
  id: string;
  type: string | undefined;
  def?: NodeTypeDefinition;
  /** Resolved ports; undefined when the type is unknown or the config invalid (no port checks then). */
  ports?: ResolvedPorts;
  values?: Record<string, unknown>;
  duplicate: boolean;
}

export interface EdgeView {
  index: number;
  source: string;
  sourcePort: string;
  target: string;
  targetPort: string;
}

export interface IOView {
  index: number;
  io: FlowIO;
}

/** The flow's declared inputs/outputs, leniently: entries without a usable name are skipped. */
export function ioView(list: unknown): IOView[] {
  if (!Array.isArray(list)) return [];
  const out: IOView[] = [];
  list.forEach((entry: unknown, index) => {
    if (!isObject(entry) || typeof entry.name !== 'string') return;
    const t = entry.type;
    const type: PortType =
      t === undefined ? 'string' : (PORT_TYPES as readonly unknown[]).includes(t) ? (t as PortType) : 'any';
    out.push({ index, io: { name: entry.name, type, required: entry.required === true, description: undefined } });
  });
  return out;
}

export function firstByName(list: Array<{ io: FlowIO }>): FlowIO[] {
  const seen = new Set<string>();
  return list.map((e) => e.io).filter((io) => !seen.has(io.name) && seen.add(io.name));
}

export function checkDuplicateIO(add: ProblemSink, list: IOView[], where: 'inputs' | 'outputs'): void {
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

export function checkReachability(
  add: ProblemSink,
  nodes: NodeView[],
  edges: EdgeView[],
  inputs: IOView[],
  outputs: IOView[],
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
        message: `no path leads from node "${n.id}" to the flow's outputs, so its result is never used`,
        path: `nodes[${n.index}]`,
        nodeId: n.id,
      });
    }
    for (const { index, io } of outputs) {
      if (outputNodes.some((n) => connected.has(`${n.id}\u0000${io.name}`))) continue;
      add({
        code: 'unconnected_output',
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
        message: `flow input "${io.name}" is not used by any node`,
        path: `inputs[${index}]`,
      });
    }
  }
}

/**
 * A flow document's declared interface (what a subflow, map or loop node calling it sees),
 * read leniently so that drafts still describe their ports: entries without a usable name
 * are skipped, the first of duplicate names wins, defaults and descriptions are kept.
 */
export function declaredInterface(doc: unknown): { inputs: FlowIO[]; outputs: FlowIO[] } {
  const side = (list: unknown): FlowIO[] => {
    const raw = Array.isArray(list) ? list : [];
    return firstByName(
      ioView(raw).map(({ index, io }) => {
        const entry = raw[index] as Record<string, unknown>;
        return {
          index,
          io: {
            ...io,
            ...(typeof entry.description === 'string'
              ? { description: entry.description }
              : { description: undefined }),
            ...(entry.default !== undefined ? { default: entry.default } : {}),
          },
        };
      }),
    ).map((io) => {
      const { description, ...rest } = io;
      return description === undefined ? rest : { ...rest, description };
    });
  };
  const d = isObject(doc) ? doc : {};
  return { inputs: side(d.inputs), outputs: side(d.outputs) };
}
