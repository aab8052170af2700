import { create } from 'zustand';
import type { Flow } from '../../shared/flow/schema';

export type Theme = 'light' | 'dark';
export type BottomTab = 'problems' | 'run' | 'chat' | 'history';

export interface Toast {
  id: number;
  kind: 'info' | 'error' | 'success';
  text: string;
}

/** What the Changes view compares the canvas with: a git commit's version of the file (null: the last save). */
export interface DiffBase {
  commit: string;
  label: string;
  flow: Flow;
}

export interface UiState {
  theme: Theme;
  bottomTab: BottomTab | null;
  showShortcuts: boolean;
  showDiff: boolean;
  diffBase: DiffBase | null;
  toasts: Toast[];
  setTheme(t: Theme): void;
  setBottomTab(t: BottomTab | null): void;
  setShowShortcuts(v: boolean): void;
  setShowDiff(v: boolean): void;
  setDiffBase(base: DiffBase | null): void;
  toast(kind: Toast['kind'], text: string): void;
  dismiss(id: number): void;
}

function initialTheme(): Theme {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('braid.theme') : null;
  if (saved === 'light' || saved === 'dark') return saved;
  return typeof matchMedia !== 'undefined' && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

let nextToast = 1;

export const useUi = create<UiState>()((set, get) => ({
  theme: initialTheme(),
  bottomTab: null,
  showShortcuts: false,
  showDiff: false,
  diffBase: null,
  toasts: [],
  setTheme(theme) {
    localStorage.setItem('braid.theme', theme);
    document.documentElement.dataset.theme = theme;
    set({ theme });
  },
  setBottomTab: (bottomTab) => set({ bottomTab }),
  setShowShortcuts: (showShortcuts) => set({ showShortcuts }),
  setShowDiff: (showDiff) => set({ showDiff }),
  setDiffBase: (diffBase) => set((s) => (s.diffBase === diffBase ? s : { diffBase })),
  toast(kind, text) {
    const id = nextToast++;
    set({ toasts: [...get().toasts, { id, kind, text }] });
    // Errors stay until dismissed (they must be read); other notices go after a few seconds.
    if (kind !== 'error') setTimeout(() => get().dismiss(id), 3500);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));
