import type { Edge, Node } from '@xyflow/react';
import type { Flow, FlowEdge, FlowIO, FlowNode, FlowNote, NoteColor } from '../../shared/flow/schema';
import { CURRENT_SCHEMA_VERSION } from '../../shared/flow/schema';

/** What the canvas keeps per node: exactly the authored fields of a flow node (serializable). */
export interface NodeData extends Record<string, unknown> {
  type: string;
  title?: string;
  config?: Record<string, unknown>;
  values?: Record<string, unknown>;
  timeoutMs?: number;
  retry?: FlowNode['retry'];
  notes?: string;
}

export type BraidNode = Node<NodeData, 'braid'>;

/** A sticky note's authored fields other than position and size (those live on the React Flow node). */
export interface NoteData extends Record<string, unknown> {
  text: string;
  color: NoteColor;
}
/** A sticky note as a React Flow node: id `note:<note id>`, fixed width and height. */
export type NoteNode = Node<NoteData, 'note'>;

export const NOTE_PREFIX = 'note:';
export const isNoteId = (id: string): boolean => id.startsWith(NOTE_PREFIX);

export function toNoteNode(n: FlowNote): NoteNode {
  return {
    id: `${NOTE_PREFIX}${n.id}`,
    type: 'note',
    position: { x: n.position.x, y: n.position.y },
    width: n.size.width,
    height: n.size.height,
    // Behind the nodes, so a note never hides a port.
    zIndex: -1,
    data: { text: n.text, color: n.color },
  };
}

export function fromNoteNode(n: NoteNode): FlowNote {
  return {
    id: n.id.slice(NOTE_PREFIX.length),
    position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
    size: { width: Math.round(n.width ?? 240), height: Math.round(n.height ?? 140) },
    text: n.data.text,
    color: n.data.color,
  };
}
export type BraidEdge = Edge;

/** Flow-level fields other than nodes and edges. */
export interface FlowMeta {
  id: string;
  name: string;
  description?: string;
  tags?: string[];
  inputs: FlowIO[];
  outputs: FlowIO[];
}

export function edgeId(e: FlowEdge): string {
  return `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`;
}

export function toRfNode(n: FlowNode): BraidNode {
  const data: NodeData = { type: n.type };
  if (n.title !== undefined) data.title = n.title;
  if (n.config !== undefined) data.config = n.config;
  if (n.values !== undefined) data.values = n.values;
  if (n.timeoutMs !== undefined) data.timeoutMs = n.timeoutMs;
  if (n.retry !== undefined) data.retry = n.retry;
  if (n.notes !== undefined) data.notes = n.notes;
  return { id: n.id, type: 'braid', position: { x: n.position.x, y: n.position.y }, data };
}

export function toRfEdge(e: FlowEdge): BraidEdge {
  return { id: edgeId(e), source: e.source, sourceHandle: e.sourcePort, target: e.target, targetHandle: e.targetPort };
}

export function fromRfEdge(e: Pick<BraidEdge, 'source' | 'target' | 'sourceHandle' | 'targetHandle'>): FlowEdge {
  return { source: e.source, sourcePort: e.sourceHandle ?? '', target: e.target, targetPort: e.targetHandle ?? '' };
}

/** A canvas node back to the file's node shape (no UI state: selected, dragging, measured…). */
export function fromRfNode(n: BraidNode): FlowNode {
  const d = n.data;
  const out: FlowNode = {
    id: n.id,
    type: d.type,
    position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
  };
  if (d.title !== undefined && d.title !== '') out.title = d.title;
  if (d.config !== undefined) out.config = d.config;
  if (d.values !== undefined && Object.keys(d.values).length) out.values = d.values;
  if (d.timeoutMs !== undefined) out.timeoutMs = d.timeoutMs;
  if (d.retry !== undefined) out.retry = d.retry;
  if (d.notes !== undefined && d.notes !== '') out.notes = d.notes;
  return out;
}

export function toFlow(meta: FlowMeta, nodes: BraidNode[], edges: BraidEdge[], notes: NoteNode[] = []): Flow {
  const flow: Flow = {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id: meta.id,
    name: meta.name,
    inputs: meta.inputs,
    outputs: meta.outputs,
    nodes: nodes.map(fromRfNode),
    edges: edges.map(fromRfEdge),
  };
  if (meta.description) flow.description = meta.description;
  if (meta.tags?.length) flow.tags = meta.tags;
  if (notes.length) flow.notes = notes.map(fromNoteNode);
  return flow;
}

export function metaOf(flow: Flow): FlowMeta {
  const meta: FlowMeta = { id: flow.id, name: flow.name, inputs: flow.inputs ?? [], outputs: flow.outputs ?? [] };
  if (flow.description !== undefined) meta.description = flow.description;
  if (flow.tags !== undefined) meta.tags = flow.tags;
  return meta;
}
