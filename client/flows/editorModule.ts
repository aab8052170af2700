import type { ComponentType } from 'react';

/** `runId`: a stored run to show on the canvas (`#/flows/<id>/runs/<runId>`). */
type EditorPage = ComponentType<{ flowId: string; runId?: string }>;
let loaded: EditorPage | null = null;

/**
 * Load the editor page's chunk (the flow list prefetches it). Once it is in, the shell
 * renders it directly instead of through React.lazy: a lazy component suspends on its first
 * render even when its chunk is loaded, and React holds a Suspense reveal for up to 300 ms.
 */
export function loadEditor(): Promise<{ default: EditorPage }> {
  return import('./FlowEditorPage').then((m) => {
    loaded = m.default;
    return m;
  });
}

export function loadedEditor(): EditorPage | null {
  return loaded;
}
