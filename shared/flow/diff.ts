/**
 * The one diff engine for flows (pure): what changed between two versions of a flow, node
 * by node and field by field, with long text (prompt templates, code) as a line diff. Used
 * by the builder's Changes view, by deploy results (what changed since the live version),
 * by `GET /api/deployments/:slug/diff` and by `braid deploy`.
 *
 * - Nodes are matched by id, edges by their four ends; node and edge order do not matter.
 * - Objects are compared key by key (key order never matters; `undefined` = absent), lists
 *   item by item (`config.messages[1].content`).
 * - Moving a node is layout, not a change: it is reported (`moved`) but never makes a diff
 *   non-empty (`isEmptyDiff`), so a flow that was only rearranged deploys as "unchanged".
 * - Sticky notes are matched by id like nodes: added, removed and edited notes (text as a
 *   line diff, colour) are changes; a note moved or resized is layout (`moved`).
 */
import type { FlowEdge, FlowNode, FlowNote } from './schema';
import { lineDiff, type LineChange } from './line-diff';
import { formatPath } from './problems';

export type { LineChange } from './line-diff';
export { lineDiff, linesToTexts, wordDiff } from './line-diff';

export type PathSegment = string | number;

export interface FieldChange {
  /** Where the value lives, e.g. `['config', 'messages', 0, 'content']`. */
  path: PathSegment[];
  /** The same as text: `config.messages[0].content`. */
  at: string;
  kind: 'added' | 'removed' | 'changed';
  /** Absent when the field was added. */
  before?: unknown;
  /** Absent when the field was removed. */
  after?: unknown;
  /** Line diff when before and after are long or multi-line text. */
  lines?: LineChange[];
}

export interface NodeDiff {
  id: string;
  /** `moved`: only the position changed (layout, not a change). */
  kind: 'added' | 'removed' | 'changed' | 'moved';
  type: string;
  title?: string;
  /** Field changes of a changed (or moved) node; empty for added and removed nodes. */
  changes: FieldChange[];
  /** The whole node: the new one when added, the old one when removed. */
  node?: FlowNode;
}

export interface NoteDiff {
  id: string;
  /** `moved`: only the position or size changed (layout, not a change). */
  kind: 'added' | 'removed' | 'changed' | 'moved';
  /** Field changes of a changed (or moved) note (`text`, `color`, `position.x`…); empty for added and removed notes. */
  changes: FieldChange[];
  /** The whole note: the old one when removed, else the new one (its text names it in lists). */
  note: FlowNote;
}

export interface EdgeDiff {
  kind: 'added' | 'removed';
  edge: FlowEdge;
}

export interface DiffSummary {
  nodesAdded: number;
  nodesRemoved: number;
  nodesChanged: number;
  nodesMoved: number;
  edgesAdded: number;
  edgesRemoved: number;
  /** Changed flow-level fields (name, inputs, outputs, description…). */
  settingsChanged: number;
  notesAdded: number;
  notesRemoved: number;
  notesChanged: number;
  /** Notes only moved or resized (layout). */
  notesMoved: number;
}

export interface FlowDiff {
  /** Flow-level fields other than nodes, edges and notes. */
  settings: FieldChange[];
  nodes: NodeDiff[];
  edges: EdgeDiff[];
  notes: NoteDiff[];
  summary: DiffSummary;
}

/** The smallest shape the diff reads: nodes, edges and notes; every other top-level field is a flow setting. */
export interface DiffableFlow {
  nodes: readonly FlowNode[];
  edges?: readonly FlowEdge[];
  notes?: readonly FlowNote[];
}

/** Strings at least this long (or with a line break) get a line diff. */
const LONG_TEXT = 60;

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const hasOwn = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** An own property's value (never an inherited one such as `__proto__` or `constructor`). */
function own(o: Record<string, unknown>, k: string): unknown {
  return hasOwn(o, k) ? o[k] : undefined;
}

/** Own keys whose value is not undefined (JSON semantics), sorted: key order never matters. */
function keysOf(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
}

/** Structural equality of JSON-like values; object key order and undefined fields do not matter. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => sameValue(x, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = keysOf(a);
  const kb = keysOf(b);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameValue(own(a, k), own(b, k)));
}

function change(path: PathSegment[], kind: FieldChange['kind'], before: unknown, after: unknown): FieldChange {
  const c: FieldChange = { path, at: formatPath(path), kind };
  if (kind !== 'added') c.before = before;
  if (kind !== 'removed') c.after = after;
  if (
    kind === 'changed' &&
    typeof before === 'string' &&
    typeof after === 'string' &&
    (before.includes('\n') || after.includes('\n') || Math.max(before.length, after.length) >= LONG_TEXT)
  )
    c.lines = lineDiff(before, after);
  return c;
}

/** Field-level changes from `a` to `b` (appended to `out`, under `path`). */
export function diffValues(a: unknown, b: unknown, path: PathSegment[] = [], out: FieldChange[] = []): FieldChange[] {
  if (sameValue(a, b)) return out;
  if (a === undefined) {
    out.push(change(path, 'added', undefined, b));
  } else if (b === undefined) {
    out.push(change(path, 'removed', a, undefined));
  } else if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...keysOf(a), ...keysOf(b)])].sort();
    for (const k of keys) diffValues(own(a, k), own(b, k), [...path, k], out);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++)
      diffValues(i < a.length ? a[i] : undefined, i < b.length ? b[i] : undefined, [...path, i], out);
  } else {
    out.push(change(path, 'changed', a, b));
  }
  return out;
}

/** The key of an edge: `source.port->target.port` (the canvas's edge id). */
export function edgeKey(e: FlowEdge): string {
  return `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`;
}

const NOT_SETTINGS = new Set(['nodes', 'edges', 'notes']);

/** Where a note sits and how big it is: changing only these is layout. */
const NOTE_LAYOUT = new Set<PathSegment>(['position', 'size']);

/** A note's change that is layout only (its position or size), not part of what it says. */
export function isNoteLayout(c: FieldChange): boolean {
  return NOTE_LAYOUT.has(c.path[0] as PathSegment);
}

type ItemKind = 'added' | 'removed' | 'changed' | 'moved';

/**
 * Items (nodes, notes) matched by id, in `after`'s order then the removed ones: added,
 * removed, and the field changes of kept ones (`moved` when every change is layout).
 */
function diffById<T extends { id: string }>(
  before: readonly T[],
  after: readonly T[],
  isLayout: (c: FieldChange) => boolean,
): Array<{ kind: ItemKind; item: T; changes: FieldChange[] }> {
  const out: Array<{ kind: ItemKind; item: T; changes: FieldChange[] }> = [];
  const old = new Map(before.map((x) => [x.id, x]));
  const now = new Map(after.map((x) => [x.id, x]));
  for (const n of now.values()) {
    const o = old.get(n.id);
    if (!o) {
      out.push({ kind: 'added', item: n, changes: [] });
      continue;
    }
    if (o === n) continue;
    const { id: _a, ...restOld } = o;
    const { id: _b, ...restNew } = n;
    // Fast path (most items did not change, and keep their key order): same JSON, no change.
    if (JSON.stringify(restOld) === JSON.stringify(restNew)) continue;
    const changes = diffValues(restOld, restNew);
    if (changes.length === 0) continue;
    out.push({ kind: changes.every(isLayout) ? 'moved' : 'changed', item: n, changes });
  }
  for (const o of old.values()) if (!now.has(o.id)) out.push({ kind: 'removed', item: o, changes: [] });
  return out;
}

function diffNotes(before: readonly FlowNote[], after: readonly FlowNote[]): NoteDiff[] {
  return diffById(before, after, isNoteLayout).map(({ kind, item, changes }) => ({
    id: item.id,
    kind,
    changes,
    note: item,
  }));
}

/** What changed from `before` to `after`. */
export function diffFlows(before: DiffableFlow, after: DiffableFlow): FlowDiff {
  const settings: FieldChange[] = [];
  const ra = before as unknown as Record<string, unknown>;
  const rb = after as unknown as Record<string, unknown>;
  const topKeys = [...new Set([...keysOf(ra), ...keysOf(rb)])].filter((k) => !NOT_SETTINGS.has(k)).sort();
  for (const k of topKeys) diffValues(own(ra, k), own(rb, k), [k], settings);

  const head = (n: FlowNode) => ({ id: n.id, type: n.type, ...(n.title ? { title: n.title } : {}) });
  const nodes: NodeDiff[] = diffById(before.nodes, after.nodes, (c) => c.path[0] === 'position').map(
    ({ kind, item, changes }) => ({
      ...head(item),
      kind,
      changes,
      ...(kind === 'added' || kind === 'removed' ? { node: item } : {}),
    }),
  );

  const edges: EdgeDiff[] = [];
  const oldEdges = new Map((before.edges ?? []).map((e) => [edgeKey(e), e]));
  const newEdges = new Map((after.edges ?? []).map((e) => [edgeKey(e), e]));
  for (const [k, e] of newEdges) if (!oldEdges.has(k)) edges.push({ kind: 'added', edge: e });
  for (const [k, e] of oldEdges) if (!newEdges.has(k)) edges.push({ kind: 'removed', edge: e });

  const notes = diffNotes(before.notes ?? [], after.notes ?? []);

  const count = (kind: NodeDiff['kind']) => nodes.filter((n) => n.kind === kind).length;
  const countNotes = (kind: NoteDiff['kind']) => notes.filter((n) => n.kind === kind).length;
  return {
    settings,
    nodes,
    edges,
    notes,
    summary: {
      nodesAdded: count('added'),
      nodesRemoved: count('removed'),
      nodesChanged: count('changed'),
      nodesMoved: count('moved'),
      edgesAdded: edges.filter((e) => e.kind === 'added').length,
      edgesRemoved: edges.filter((e) => e.kind === 'removed').length,
      settingsChanged: settings.length,
      notesAdded: countNotes('added'),
      notesRemoved: countNotes('removed'),
      notesChanged: countNotes('changed'),
      notesMoved: countNotes('moved'),
    },
  };
}

/**
 * No change that matters (moves of nodes and notes are layout; with `layout: true` they
 * count too). A note's text is part of the file people read, so editing it is a change.
 */
export function isEmptyDiff(d: FlowDiff, opts: { layout?: boolean } = {}): boolean {
  const s = d.summary;
  const notes = s.notesAdded + s.notesRemoved + s.notesChanged;
  return (
    s.nodesAdded + s.nodesRemoved + s.nodesChanged + s.edgesAdded + s.edgesRemoved + s.settingsChanged + notes === 0 &&
    (!opts.layout || s.nodesMoved + s.notesMoved === 0)
  );
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** An own property, also for keys such as `__proto__` (never the prototype). */
function define(o: Record<string | number, unknown>, key: PathSegment, value: unknown): void {
  Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Set (or with `remove`, delete) the value at `path` inside `root`; list items removed from the end. */
function setAt(root: Record<string, unknown>, path: readonly PathSegment[], value: unknown, remove: boolean): void {
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i] as PathSegment;
    const next = path[i + 1];
    const container = cur as Record<string | number, unknown>;
    const inside = hasOwn(container, String(seg)) ? container[seg] : undefined;
    if (inside === undefined || inside === null || typeof inside !== 'object') {
      if (remove) return;
      define(container, seg, typeof next === 'number' ? [] : {});
    }
    cur = container[seg];
  }
  const last = path[path.length - 1] as PathSegment;
  if (!remove) define(cur as Record<string | number, unknown>, last, clone(value));
  else if (Array.isArray(cur) && typeof last === 'number') cur.length = Math.min(cur.length, last);
  else delete (cur as Record<string | number, unknown>)[last];
}

function applyChanges(target: Record<string, unknown>, changes: readonly FieldChange[]): void {
  // Removals of list items come last and from the highest index, so indexes stay valid.
  const sets = changes.filter((c) => c.kind !== 'removed');
  const removals = changes
    .filter((c) => c.kind === 'removed')
    .sort((x, y) => {
      const a = x.path[x.path.length - 1];
      const b = y.path[y.path.length - 1];
      return typeof a === 'number' && typeof b === 'number' ? b - a : 0;
    });
  for (const c of sets) setAt(target, c.path, c.after, false);
  for (const c of removals) setAt(target, c.path, undefined, true);
}

/** Items (already cloned) with their diffs applied: removed ones out, changes in, added ones (cloned) last. */
function applyById<T extends { id: string }, D extends { id: string; kind: ItemKind; changes: FieldChange[] }>(
  items: readonly T[],
  diffs: readonly D[],
  addedItem: (d: D) => T | undefined,
): T[] {
  const byId = new Map(diffs.map((x) => [x.id, x]));
  const out: T[] = [];
  for (const n of items) {
    const nd = byId.get(n.id);
    if (nd?.kind === 'removed') continue;
    if (nd) applyChanges(n as unknown as Record<string, unknown>, nd.changes);
    out.push(n);
  }
  for (const nd of diffs) {
    const added = nd.kind === 'added' ? addedItem(nd) : undefined;
    if (added) out.push(clone(added));
  }
  return out;
}

/**
 * `before` with `d` applied: diffing the result against the `after` the diff was made from
 * is empty, moves included (node order: kept nodes first, then added ones).
 */
export function applyFlowDiff<T extends DiffableFlow>(before: T, d: FlowDiff): T {
  const out = clone(before) as T & Record<string, unknown>;
  applyChanges(out, d.settings);
  const nodes = applyById(out.nodes, d.nodes, (nd) => nd.node);
  const removedEdges = new Set(d.edges.filter((e) => e.kind === 'removed').map((e) => edgeKey(e.edge)));
  const edges = (out.edges ?? []).filter((e) => !removedEdges.has(edgeKey(e)));
  for (const e of d.edges) if (e.kind === 'added') edges.push(clone(e.edge));
  const notes = applyById(out.notes ?? [], d.notes, (nd) => nd.note);
  // A flow without notes keeps omitting the key (as the file format does).
  return { ...out, nodes, edges, ...(notes.length || out.notes ? { notes } : {}) };
}

export interface CalledFlowDiff {
  id: string;
  kind: 'added' | 'removed' | 'changed';
  /** The called flow's own diff (when changed). */
  diff?: FlowDiff;
}

/** A deployment snapshot's diff: the deployed flow, and the flows it calls (its closure). */
export interface SnapshotDiff {
  flow: FlowDiff;
  /** Called flows added to, removed from or changed in the closure (moves ignored). */
  calledFlows: CalledFlowDiff[];
  /** Nothing changed but layout: deploying `after` over `before` would change no behaviour. */
  empty: boolean;
}

export interface DiffableSnapshot {
  flow: DiffableFlow;
  /** The called flows, by id. */
  flows: Readonly<Record<string, DiffableFlow>>;
}

/** What changed between two snapshots (a flow together with the flows it calls). */
export function diffSnapshots(before: DiffableSnapshot, after: DiffableSnapshot): SnapshotDiff {
  const flow = diffFlows(before.flow, after.flow);
  const calledFlows: CalledFlowDiff[] = [];
  const ids = [...new Set([...Object.keys(before.flows), ...Object.keys(after.flows)])].sort();
  for (const id of ids) {
    const a = before.flows[id];
    const b = after.flows[id];
    if (!a && b) calledFlows.push({ id, kind: 'added' });
    else if (a && !b) calledFlows.push({ id, kind: 'removed' });
    else if (a && b) {
      const diff = diffFlows(a, b);
      if (!isEmptyDiff(diff)) calledFlows.push({ id, kind: 'changed', diff });
    }
  }
  return { flow, calledFlows, empty: isEmptyDiff(flow) && calledFlows.length === 0 };
}
