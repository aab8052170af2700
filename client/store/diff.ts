import type { Flow, FlowEdge, FlowNode, FlowNote } from '../../shared/flow/schema';
import { diffFlows as diffFields, edgeKey, type FlowDiff as FieldDiff } from '../../shared/flow/diff';

export type DiffKind = 'added' | 'changed' | 'removed';

/** What changed between the saved version and the canvas (marks for the canvas + the field-level detail). */
export interface FlowDiff {
  nodes: Record<string, DiffKind>;
  removedNodes: FlowNode[];
  edges: Record<string, 'added' | 'removed'>;
  removedEdges: FlowEdge[];
  count: number;
  /** Field by field (the shared diff engine's result), for the Changes panel. */
  detail: FieldDiff;
}

export const EMPTY_DIFF: FlowDiff = {
  nodes: {},
  removedNodes: [],
  edges: {},
  removedEdges: [],
  count: 0,
  detail: {
    settings: [],
    nodes: [],
    edges: [],
    notes: [],
    summary: {
      nodesAdded: 0,
      nodesRemoved: 0,
      nodesChanged: 0,
      nodesMoved: 0,
      edgesAdded: 0,
      edgesRemoved: 0,
      settingsChanged: 0,
      notesAdded: 0,
      notesRemoved: 0,
      notesChanged: 0,
      notesMoved: 0,
    },
  },
};

/** Nodes added / removed / changed (config, title, values…; moving is not a change), and notes. */
export function diffFlows(before: Flow, after: Flow): FlowDiff {
  const detail = diffFields(before, after);
  const out: FlowDiff = { nodes: {}, removedNodes: [], edges: {}, removedEdges: [], count: 0, detail };
  for (const n of detail.nodes) {
    if (n.kind === 'moved') continue;
    out.nodes[n.id] = n.kind;
    if (n.kind === 'removed' && n.node) out.removedNodes.push(n.node);
  }
  for (const e of detail.edges) {
    out.edges[edgeKey(e.edge)] = e.kind;
    if (e.kind === 'removed') out.removedEdges.push(e.edge);
  }
  const s = detail.summary;
  out.count =
    Object.keys(out.nodes).length +
    Object.keys(out.edges).length +
    detail.settings.length +
    s.notesAdded +
    s.notesRemoved +
    s.notesChanged;
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
  // Notes as the diff reads them; anything else a half-written note holds is compared as stored.
  const notes = (Array.isArray(doc.notes) ? doc.notes : [])
    .filter((n): n is Record<string, unknown> => isObj(n) && typeof n.id === 'string')
    .map((n) => ({ ...(n as unknown as FlowNote), text: typeof n.text === 'string' ? n.text : '' }));
  // Flow-level fields (description, inputs, outputs…) as stored, so the diff can compare them too.
  const { nodes: _n, edges: _e, notes: _notes, ...rest } = doc;
  return {
    ...(rest as Partial<Flow>),
    schemaVersion: 1,
    id,
    name: typeof doc.name === 'string' ? doc.name : id,
    inputs: Array.isArray(doc.inputs) ? (doc.inputs as Flow['inputs']) : [],
    outputs: Array.isArray(doc.outputs) ? (doc.outputs as Flow['outputs']) : [],
    nodes,
    edges,
    ...(notes.length ? { notes } : {}),
  };
}
