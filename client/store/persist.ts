import type { Flow } from '../../shared/flow/schema';
import type { FlowProblem } from '../../shared/api/errors';
import { api, ApiError } from '../api/http';
import { useDoc } from './docStore';
import { useSession } from './sessionStore';
import { useUi } from './uiStore';
import { useRun } from './runStore';
import { currentFlow, recompute, seedFromServer } from './derived';

const errorCount = (problems: FlowProblem[]) => problems.filter((p) => p.severity !== 'warning').length;

/** Open a flow from the server into the canvas; a file saved with problems opens the Problems panel. */
export async function openFlow(id: string): Promise<void> {
  const { flow, etag, problems } = await api.getFlow(id);
  useUi.getState().setDiffBase(null);
  useDoc.getState().load(flow);
  useSession.getState().setSaved(flow, etag);
  useRun.getState().reset();
  // The server validated this very file: show its problems instead of validating it again
  // while the canvas renders for the first time (edits revalidate in the browser).
  seedFromServer(flow, problems);
  if (errorCount(problems) > 0) useUi.getState().setBottomTab('problems');
}

/**
 * Save with If-Match as a draft: work in progress is stored even with problems (the server
 * refuses only what cannot be written in the flow format). A 409 opens the conflict
 * dialog. Returns true when saved.
 */
export async function saveCurrent(opts: { force?: boolean } = {}): Promise<boolean> {
  const session = useSession.getState();
  if (session.saving) return false;
  const flow = currentFlow();
  if (!flow.name.trim()) {
    // The one thing a draft cannot be saved without: say so at the field, not as a file error.
    useUi.getState().toast('error', 'Not saved: Name is required. Type a name in the title at the top.');
    document.querySelector<HTMLInputElement>('[data-testid="flow-title-input"]')?.focus();
    return false;
  }
  session.setSaving(true);
  try {
    let etag = session.etag;
    if (opts.force) etag = (await api.getFlow(flow.id).catch(() => ({ etag: null }))).etag;
    const saved = await api.saveFlow(flow, etag, { draft: true });
    // The file is what we sent; keep our object (the server may echo the same shape).
    useSession.getState().setSaved(flow, saved.etag);
    useSession.getState().setConflict(false);
    recompute();
    const errors = errorCount(saved.problems);
    if (errors > 0) {
      useUi.getState().setBottomTab('problems');
      useUi
        .getState()
        .toast('info', `Saved with ${errors} problem${errors === 1 ? '' : 's'}: it cannot run until they are fixed.`);
    } else useUi.getState().toast('success', `Saved ${flow.name}`);
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
      useSession.getState().setConflict(true);
      return false;
    }
    if (err instanceof ApiError && err.status === 422) {
      // Even a draft must be writable in the flow format (e.g. safe node ids): say what to fix.
      useUi.getState().setBottomTab('problems');
      const problems = Array.isArray(err.details) ? (err.details as Array<{ message?: string; path?: string }>) : [];
      const first = problems
        .slice(0, 2)
        .map((p) => (p.path ? `${p.path}: ${p.message ?? ''}` : (p.message ?? '')))
        .join('; ');
      useUi
        .getState()
        .toast(
          'error',
          `Not saved: ${first || err.message}${problems.length > 2 ? ` (and ${problems.length - 2} more, listed below)` : ''}.`,
        );
      return false;
    }
    useUi.getState().toast('error', `Save failed: ${(err as Error).message}`);
    return false;
  } finally {
    useSession.getState().setSaving(false);
  }
}

/**
 * Save edits that are not saved yet, as the Save button would, before something that reads
 * the saved file (Deploy, Run). The dirty flag is recomputed after a short debounce, so an
 * edit made just before the click may not be flagged yet: recompute it now. Returns false
 * when a needed save failed (the caller should stop).
 */
export async function flushEdits(): Promise<boolean> {
  recompute();
  if (!useSession.getState().dirty) return true;
  return saveCurrent();
}

/** Conflict: discard local changes and load the file as it is on disk. */
export async function reloadTheirs(): Promise<void> {
  const id = useSession.getState().flowId;
  useSession.getState().setConflict(false);
  if (id) await openFlow(id);
}

export function freeId(base: string, taken: Set<string>): string {
  const stem = base.replace(/-copy(-\d+)?$/, '');
  let id = `${stem}-copy`;
  for (let i = 2; taken.has(id); i++) id = `${stem}-copy-${i}`;
  return id;
}

/** Conflict: keep both — save the canvas as a new flow and open it. Returns the new id. */
export async function saveAsCopy(): Promise<string> {
  const flow = currentFlow();
  const taken = new Set((await api.listFlows()).map((f) => f.id));
  const copy: Flow = { ...flow, id: freeId(flow.id, taken), name: `${flow.name} (copy)` };
  const created = await api.createFlow(copy, { draft: true });
  useSession.getState().setConflict(false);
  return created.flow.id ?? copy.id;
}
