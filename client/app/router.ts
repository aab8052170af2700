import { useSyncExternalStore } from 'react';

/** Hash routing: `#/flows`, `#/flows/<id>`, `#/knowledge`, … (works under any server path). */
function current(): string {
  const h = location.hash.replace(/^#/, '');
  return h.startsWith('/') ? h : '/flows';
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('hashchange', cb);
  return () => window.removeEventListener('hashchange', cb);
}

export function useRoute(): string {
  return useSyncExternalStore(subscribe, current, () => '/flows');
}

/** Listeners that may veto navigation (unsaved changes). */
const guards = new Set<() => boolean>();
export function addNavigationGuard(fn: () => boolean): () => void {
  guards.add(fn);
  return () => guards.delete(fn);
}

export function navigate(path: string): void {
  for (const g of guards) if (!g()) return;
  location.hash = path;
}
