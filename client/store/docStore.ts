import { create } from 'zustand';
import { temporal } from 'zundo';
import { applyEdgeChanges, applyNodeChanges, type EdgeChange, type NodeChange, type XYPosition } from '@xyflow/react';
import type { Flow, FlowEdge, FlowNode, FlowNote } from '../../shared/flow/schema';
import {
  edgeId,
  fromRfEdge,
  metaOf,
  toRfEdge,
  toRfNode,
  type BraidEdge,
  type BraidNode,
  type FlowMeta,
  type NodeData,
  type NoteData,
  type NoteNode,
  isNoteId,
  toNoteNode,
  NOTE_PREFIX,
} from './convert';
import type { NoteColor } from '../../shared/flow/schema';

/**
 * The flow being edited: meta, nodes and edges in React Flow's shapes. Undo/redo (zundo)
 * tracks only authored changes: selection, measuring and drag frames are not history
 * entries (a whole drag is one entry, pushed on drag stop).
 */
export interface DocState {
  meta: FlowMeta;
  nodes: BraidNode[];
  edges: BraidEdge[];
  /** Sticky notes, as React Flow nodes (`note:<id>`); the canvas draws them behind the nodes. */
  notes: NoteNode[];
  /** Replace everything (open a flow); clears history. */
  load(flow: Flow): void;
  setMeta(patch: Partial<FlowMeta>): void;
  onNodesChange(changes: NodeChange<BraidNode>[]): void;
  onEdgesChange(changes: EdgeChange<BraidEdge>[]): void;
  addEdge(e: FlowEdge): void;
  addNode(type: string, position: XYPosition, config?: Record<string, unknown>): string;
  /** `coalesce`: consecutive edits with the same key within 1 s are one undo step (typing). */
  updateNodeData(id: string, patch: Partial<NodeData>, coalesce?: string): void;
  renameNode(oldId: string, newId: string): void;
  /**
   * Insert nodes (and edges among them) and notes with fresh ids, all moved by `offset`;
   * they become the selection. Returns the new canvas ids (notes as `note:<id>`).
   */
  insertFragment(nodes: FlowNode[], edges: FlowEdge[], offset: XYPosition, notes?: FlowNote[]): string[];
  deleteSelected(): void;
  setPositions(positions: Record<string, XYPosition>): void;
  selectOnly(ids: string[]): void;
  /** Add a sticky note at a position (flow coordinates); it becomes the selection. Returns its id. */
  addNote(position: XYPosition, color?: NoteColor): string;
  /** `coalesce`: consecutive edits with the same key within 1 s are one undo step (typing). */
  updateNote(id: string, patch: Partial<NoteData>, coalesce?: string): void;
  deleteNote(id: string): void;
}

let lastCoalesce: { key: string | undefined; at: number } = { key: undefined, at: 0 };

type Tracked = Pick<DocState, 'meta' | 'nodes' | 'edges' | 'notes'>;

const emptyMeta: FlowMeta = { id: 'untitled', name: 'Untitled', inputs: [], outputs: [] };

/** Same notes, selection aside? */
export function sameNotes(a: NoteNode[], b: NoteNode[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (
      x.id !== y.id ||
      x.data !== y.data ||
      x.position.x !== y.position.x ||
      x.position.y !== y.position.y ||
      x.width !== y.width ||
      x.height !== y.height
    )
      return false;
  }
  return true;
}

/** Same authored content? O(n) reference checks, no allocation (runs on every set). */
export function sameDoc(a: Tracked, b: Tracked): boolean {
  if (a.meta !== b.meta || a.nodes.length !== b.nodes.length || a.edges.length !== b.edges.length) return false;
  if (!sameNotes(a.notes, b.notes)) return false;
  for (let i = 0; i < a.nodes.length; i++) {
    const x = a.nodes[i];
    const y = b.nodes[i];
    if (x === y) continue;
    if (x.id !== y.id || x.data !== y.data || x.position.x !== y.position.x || x.position.y !== y.position.y)
      return false;
  }
  for (let i = 0; i < a.edges.length; i++) if (a.edges[i].id !== b.edges[i].id) return false;
  return true;
}

export function uniqueId(base: string, taken: Set<string>): string {
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_-]+/g, '-')
      .replace(/^[^a-z0-9]+/, '') || 'node';
  if (!taken.has(clean)) return clean;
  const stem = clean.replace(/-\d+$/, '');
  for (let i = 2; ; i++) if (!taken.has(`${stem}-${i}`)) return `${stem}-${i}`;
}

export const useDoc = create<DocState>()(
  temporal(
    (set, get) => ({
      meta: emptyMeta,
      nodes: [],
      edges: [],
      notes: [],
      load(flow) {
        set({
          meta: metaOf(flow),
          nodes: flow.nodes.map(toRfNode),
          edges: (flow.edges ?? []).map(toRfEdge),
          notes: (flow.notes ?? []).map(toNoteNode),
        });
        useDoc.temporal.getState().clear();
      },
      setMeta(patch) {
        set({ meta: { ...get().meta, ...patch } });
      },
      onNodesChange(changes) {
        // Notes and nodes share the canvas: each change goes to its own list.
        const forNotes = changes.filter((c) => isNoteId('id' in c ? c.id : c.item.id));
        if (forNotes.length === 0) return set({ nodes: applyNodeChanges(changes, get().nodes) });
        const forNodes = changes.filter((c) => !isNoteId('id' in c ? c.id : c.item.id));
        set({
          ...(forNodes.length ? { nodes: applyNodeChanges(forNodes, get().nodes) } : {}),
          notes: applyNodeChanges(forNotes as unknown as NodeChange<NoteNode>[], get().notes),
        });
      },
      onEdgesChange(changes) {
        set({ edges: applyEdgeChanges(changes, get().edges) });
      },
      addEdge(e) {
        const id = edgeId(e);
        if (get().edges.some((x) => x.id === id)) return;
        set({ edges: [...get().edges, toRfEdge(e)] });
      },
      addNode(type, position, config) {
        const taken = new Set(get().nodes.map((n) => n.id));
        const id = uniqueId(type === 'input' ? 'inputs' : type === 'output' ? 'outputs' : type, taken);
        const node = toRfNode({ id, type, position, ...(config ? { config } : {}) });
        node.selected = true;
        set({ nodes: [...get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), node] });
        return id;
      },
      updateNodeData(id, patch, coalesce) {
        const now = Date.now();
        const merge = coalesce !== undefined && coalesce === lastCoalesce.key && now - lastCoalesce.at < 1000;
        lastCoalesce = { key: coalesce, at: now };
        const t = useDoc.temporal.getState();
        const tracking = t.isTracking;
        if (merge && tracking) t.pause();
        set({
          nodes: get().nodes.map((n) => {
            if (n.id !== id) return n;
            const data: NodeData = { ...n.data, ...patch };
            for (const k of Object.keys(patch)) if (patch[k] === undefined) delete data[k];
            return { ...n, data };
          }),
        });
        if (merge && tracking) useDoc.temporal.getState().resume();
      },
      renameNode(oldId, newId) {
        if (oldId === newId || get().nodes.some((n) => n.id === newId)) return;
        set({
          nodes: get().nodes.map((n) => (n.id === oldId ? { ...n, id: newId } : n)),
          edges: get().edges.map((e) => {
            if (e.source !== oldId && e.target !== oldId) return e;
            const fe = fromRfEdge(e);
            if (fe.source === oldId) fe.source = newId;
            if (fe.target === oldId) fe.target = newId;
            return { ...toRfEdge(fe), selected: e.selected };
          }),
        });
      },
      insertFragment(nodes, edges, offset, notes) {
        const taken = new Set(get().nodes.map((n) => n.id));
        const idMap = new Map<string, string>();
        const added: BraidNode[] = [];
        for (const n of nodes) {
          const id = uniqueId(n.id, taken);
          taken.add(id);
          idMap.set(n.id, id);
          const rf = toRfNode({ ...n, id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } });
          rf.selected = true;
          added.push(rf);
        }
        const newEdges = edges
          .filter((e) => idMap.has(e.source) && idMap.has(e.target))
          .map((e) => toRfEdge({ ...e, source: idMap.get(e.source)!, target: idMap.get(e.target)! }));
        const takenNotes = new Set(get().notes.map((n) => n.id.slice(NOTE_PREFIX.length)));
        const addedNotes: NoteNode[] = [];
        for (const n of notes ?? []) {
          const id = uniqueId(n.id, takenNotes);
          takenNotes.add(id);
          const rf = toNoteNode({ ...n, id, position: { x: n.position.x + offset.x, y: n.position.y + offset.y } });
          rf.selected = true;
          addedNotes.push(rf);
        }
        set({
          nodes: [...get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
          edges: [...get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)), ...newEdges],
          notes: [...get().notes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...addedNotes],
        });
        return [...added.map((n) => n.id), ...addedNotes.map((n) => n.id)];
      },
      deleteSelected() {
        const gone = new Set(
          get()
            .nodes.filter((n) => n.selected)
            .map((n) => n.id),
        );
        set({
          notes: get().notes.some((n) => n.selected) ? get().notes.filter((n) => !n.selected) : get().notes,
          nodes: get().nodes.filter((n) => !gone.has(n.id)),
          edges: get().edges.filter((e) => !e.selected && !gone.has(e.source) && !gone.has(e.target)),
        });
      },
      setPositions(positions) {
        set({ nodes: get().nodes.map((n) => (positions[n.id] ? { ...n, position: positions[n.id] } : n)) });
      },
      selectOnly(ids) {
        const want = new Set(ids);
        set({
          nodes: get().nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
          edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
          notes: get().notes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
        });
      },
      addNote(position, color = 'yellow') {
        const taken = new Set(get().notes.map((n) => n.id.slice(NOTE_PREFIX.length)));
        const id = uniqueId('note-1', taken);
        const note = toNoteNode({ id, position, size: { width: 240, height: 140 }, text: '', color });
        note.selected = true;
        set({
          nodes: get().nodes.map((n) => (n.selected ? { ...n, selected: false } : n)),
          notes: [...get().notes.map((n) => (n.selected ? { ...n, selected: false } : n)), note],
        });
        return note.id;
      },
      updateNote(id, patch, coalesce) {
        const now = Date.now();
        const merge = coalesce !== undefined && coalesce === lastCoalesce.key && now - lastCoalesce.at < 1000;
        lastCoalesce = { key: coalesce, at: now };
        const t = useDoc.temporal.getState();
        const tracking = t.isTracking;
        if (merge && tracking) t.pause();
        set({ notes: get().notes.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)) });
        if (merge && tracking) useDoc.temporal.getState().resume();
      },
      deleteNote(id) {
        set({ notes: get().notes.filter((n) => n.id !== id) });
      },
    }),
    {
      partialize: (s): Tracked => ({ meta: s.meta, nodes: s.nodes, edges: s.edges, notes: s.notes }),
      equality: sameDoc,
      limit: 200,
    },
  ),
);

/** A drag is one history entry: pause tracking on start, push the pre-drag state on stop. */
let dragSnapshot: Tracked | null = null;
export function beginDrag(): void {
  if (dragSnapshot) return;
  const s = useDoc.getState();
  dragSnapshot = { meta: s.meta, nodes: s.nodes, edges: s.edges, notes: s.notes };
  useDoc.temporal.getState().pause();
}
export function endDrag(): void {
  const snap = dragSnapshot;
  dragSnapshot = null;
  const t = useDoc.temporal;
  t.getState().resume();
  if (!snap) return;
  const s = useDoc.getState();
  if (sameDoc(snap, s)) return;
  t.setState({ pastStates: [...t.getState().pastStates, snap], futureStates: [] });
}

/** True between drag start and stop (heavy UI work waits for the drop). */
export function isDragging(): boolean {
  return dragSnapshot !== null;
}

export const undo = (): void => useDoc.temporal.getState().undo();
export const redo = (): void => useDoc.temporal.getState().redo();
