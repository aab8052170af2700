import type { Flow } from '../../shared/flow/schema';
import { serializeFlow } from '../../shared/flow/serialize';
import { useDoc } from './docStore';
import { useSession } from './sessionStore';
import { currentFlow } from './derived';

/**
 * Unsaved work is copied to localStorage (debounced), so a reload, a crash or a save the
 * server refuses (a conflict, a broken file format, no connection) never loses it.
 * Cleared when saved.
 */
const key = (id: string) => `braid.draft.${id}`;

export interface Draft {
  flow: Flow;
  savedAt: number;
  /** The file text the draft was based on (to tell whether the file moved on since). */
  base: string;
}

export function readDraft(id: string): Draft | null {
  try {
    const raw = localStorage.getItem(key(id));
    if (!raw) return null;
    const d = JSON.parse(raw) as Draft;
    return d && d.flow && Array.isArray(d.flow.nodes) ? d : null;
  } catch {
    return null;
  }
}

export function clearDraft(id: string): void {
  localStorage.removeItem(key(id));
}

let timer: ReturnType<typeof setTimeout> | undefined;
let started = false;

export function startDraftWatcher(): void {
  if (started) return;
  started = true;
  const write = () => {
    const s = useSession.getState();
    if (!s.flowId) return;
    if (!s.dirty) return clearDraft(s.flowId);
    try {
      const d: Draft = { flow: currentFlow(), savedAt: Date.now(), base: s.savedJson };
      localStorage.setItem(key(s.flowId), JSON.stringify(d));
    } catch {
      /* storage full or disabled: nothing to do */
    }
  };
  useSession.subscribe((s, prev) => {
    if (s.dirty !== prev.dirty) write();
  });
  useDoc.subscribe(() => {
    clearTimeout(timer);
    timer = setTimeout(write, 1000);
  });
}

/** A draft worth offering: different from the file as it is now. */
export function pendingDraft(id: string): Draft | null {
  const d = readDraft(id);
  if (!d) return null;
  const saved = useSession.getState().savedJson;
  if (serializeFlow(d.flow) === saved) {
    clearDraft(id);
    return null;
  }
  return d;
}
