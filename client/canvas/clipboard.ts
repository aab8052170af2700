import type { FlowEdge, FlowNode, FlowNote } from '../../shared/flow/schema';
import { fromNoteNode, fromRfEdge, fromRfNode } from '../store/convert';
import { useDoc } from '../store/docStore';

const KEY = 'braid.clipboard';

export interface Fragment {
  braidFragment: 1;
  nodes: FlowNode[];
  edges: FlowEdge[];
  /** Selected sticky notes (absent in fragments copied before notes could be). */
  notes?: FlowNote[];
}

/** The selected nodes, the edges among them and the selected notes. */
export function selectedFragment(): Fragment | null {
  const { nodes, edges, notes } = useDoc.getState();
  const sel = nodes.filter((n) => n.selected);
  const selNotes = notes.filter((n) => n.selected);
  if (!sel.length && !selNotes.length) return null;
  const ids = new Set(sel.map((n) => n.id));
  return {
    braidFragment: 1,
    nodes: sel.map(fromRfNode),
    edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map(fromRfEdge),
    notes: selNotes.map(fromNoteNode),
  };
}

/** Copy to localStorage (shared by every flow tab of this origin) and, when allowed, the system clipboard. */
export function copySelection(): number {
  const frag = selectedFragment();
  if (!frag) return 0;
  const text = JSON.stringify(frag);
  localStorage.setItem(KEY, text);
  navigator.clipboard?.writeText(text).catch(() => undefined);
  return frag.nodes.length + (frag.notes?.length ?? 0);
}

function parseFragment(text: string | null): Fragment | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as Partial<Fragment>;
    if (
      v &&
      v.braidFragment === 1 &&
      Array.isArray(v.nodes) &&
      Array.isArray(v.edges) &&
      (v.notes === undefined || Array.isArray(v.notes))
    )
      return v as Fragment;
  } catch {
    return null;
  }
  return null;
}

let pasteCount = 0;
/** Paste the last copied fragment with fresh ids, offset so it does not cover the original. */
export function paste(): string[] {
  const frag = parseFragment(localStorage.getItem(KEY));
  if (!frag) return [];
  pasteCount++;
  const d = 40 * ((pasteCount % 5) + 1);
  return useDoc.getState().insertFragment(frag.nodes, frag.edges, { x: d, y: d }, frag.notes);
}

export function duplicateSelection(): string[] {
  const frag = selectedFragment();
  if (!frag) return [];
  return useDoc.getState().insertFragment(frag.nodes, frag.edges, { x: 40, y: 40 }, frag.notes);
}
