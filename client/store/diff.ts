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
