import type { Flow, FlowEdge, FlowNode } from '../../shared/flow/schema';
import { edgeId } from './convert';

export type DiffKind = 'added' | 'changed' | 'removed';

/** What changed between the saved version and the canvas. */
export interface FlowDiff {
  nodes: Record<string, DiffKind>;
  removedNodes: FlowNode[];
  edges: Record<string, 'added' | 'removed'>;
  removedEdges: FlowEdge[];
  count: number;
}

function sameNode(a: FlowNode, b: FlowNode): boolean {
  return JSON.stringify({ ...a, position: undefined }) === JSON.stringify({ ...b, position: undefined });
}

/** Nodes added / removed / changed (config, title, values…; moving is not a change). */
export function diffFlows(before: Flow, after: Flow): FlowDiff {
  const out: FlowDiff = { nodes: {}, removedNodes: [], edges: {}, removedEdges: [], count: 0 };
  const old = new Map(before.nodes.map((n) => [n.id, n]));
  const now = new Map(after.nodes.map((n) => [n.id, n]));
  for (const n of after.nodes) {
    const o = old.get(n.id);
    if (!o) out.nodes[n.id] = 'added';
    else if (!sameNode(o, n)) out.nodes[n.id] = 'changed';
  }
  for (const o of before.nodes) {
    if (!now.has(o.id)) {
      out.nodes[o.id] = 'removed';
      out.removedNodes.push(o);
    }
  }
  const oldEdges = new Set((before.edges ?? []).map(edgeId));
  const newEdges = new Set((after.edges ?? []).map(edgeId));
  for (const e of after.edges ?? []) if (!oldEdges.has(edgeId(e))) out.edges[edgeId(e)] = 'added';
  for (const e of before.edges ?? []) {
    if (!newEdges.has(edgeId(e))) {
      out.edges[edgeId(e)] = 'removed';
      out.removedEdges.push(e);
    }
  }
  out.count = Object.keys(out.nodes).length + Object.keys(out.edges).length;
  return out;
}

/**
 * A stored document (possibly an old or half-built version from git history) as a flow to
 * diff against: nodes and edges that have the fields the diff reads; nothing else is assumed.
 */
export function flowForDiff(doc: Record<string, unknown>, id: string): Flow {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  const nodes = (Array.isArray(doc.nodes) ? doc.nodes : [])
    .filter((n): n is Record<string, unknown> => isObj(n) && typeof n.id === 'string')
    .map((n) => {
      const pos = isObj(n.position) ? n.position : {};
      return {
        ...(n as unknown as FlowNode),
        type: typeof n.type === 'string' ? n.type : 'unknown',
        position: { x: Number(pos.x) || 0, y: Number(pos.y) || 0 },
      };
    });
  const edges = (Array.isArray(doc.edges) ? doc.edges : []).filter(
    (e): e is FlowEdge =>
      isObj(e) && ['source', 'sourcePort', 'target', 'targetPort'].every((k) => typeof e[k] === 'string'),
  );
  return {
    schemaVersion: 1,
    id,
    name: typeof doc.name === 'string' ? doc.name : id,
    inputs: [],
    outputs: [],
    nodes,
    edges,
  };
}
