import { create } from 'zustand';
import type { Flow } from '../../shared/flow/schema';
import { serializeFlow } from '../../shared/flow/serialize';

/** The open file: what was last loaded/saved (for the dirty dot and the version diff). */
export interface SessionState {
  flowId: string | null;
  etag: string | null;
  /** The flow as last loaded or saved. */
  saved: Flow | null;
  /** The saved flow in file form (serializeFlow): the dirty check compares file text. */
  savedJson: string;
  dirty: boolean;
  saving: boolean;
  /** Set when a save was refused with 409; the dialog reads it. */
  conflict: boolean;
  setSaved(flow: Flow, etag: string | null): void;
  setDirty(dirty: boolean): void;
  setSaving(saving: boolean): void;
  setConflict(conflict: boolean): void;
  close(): void;
}

export const useSession = create<SessionState>()((set) => ({
  flowId: null,
  etag: null,
  saved: null,
  savedJson: '',
  dirty: false,
  saving: false,
  conflict: false,
  setSaved: (flow, etag) => set({ flowId: flow.id, saved: flow, savedJson: serializeFlow(flow), etag, dirty: false }),
  setDirty: (dirty) => set((s) => (s.dirty === dirty ? s : { dirty })),
  setSaving: (saving) => set({ saving }),
  setConflict: (conflict) => set({ conflict }),
  close: () => set({ flowId: null, etag: null, saved: null, savedJson: '', dirty: false, conflict: false }),
}));
