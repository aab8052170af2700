import type { Flow } from '../../shared/flow/schema';
import { api, ApiError } from '../api/http';
import { useDoc } from './docStore';
import { useSession } from './sessionStore';
import { useUi } from './uiStore';
import { useRun } from './runStore';
import { currentFlow, recompute, schedule } from './derived';

/** Open a flow from the server into the canvas. */
export async function openFlow(id: string): Promise<void> {
  const { flow, etag } = await api.getFlow(id);
  useDoc.getState().load(flow);
  useSession.getState().setSaved(flow, etag);
  useRun.getState().reset();
  schedule(); // validation runs after the first paint, not before it
}

/** Save with If-Match; a 409 opens the conflict dialog. Returns true when saved. */
export async function saveCurrent(opts: { force?: boolean } = {}): Promise<boolean> {
  const session = useSession.getState();
  if (session.saving) return false;
  const flow = currentFlow();
  session.setSaving(true);
  try {
    let etag = session.etag;
    if (opts.force) etag = (await api.getFlow(flow.id).catch(() => ({ etag: null }))).etag;
    const saved = await api.saveFlow(flow, etag);
    // The file is what we sent; keep our object (the server may echo the same shape).
    useSession.getState().setSaved(flow, saved.etag);
    useSession.getState().setConflict(false);
    recompute();
    useUi.getState().toast('success', `Saved ${flow.name}`);
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 409 || err.status === 412)) {
      useSession.getState().setConflict(true);
      return false;
    }
    if (err instanceof ApiError && err.status === 422) {
      // The server stores only valid flows: say what to fix, where.
      useUi.getState().setBottomTab('problems');
      useUi.getState().toast('error', `Not saved: ${err.message}. The server only stores valid flows — fix the problems listed below, then save.`);
      return false;
    }
    useUi.getState().toast('error', `Save failed: ${(err as Error).message}`);
    return false;
  } finally {
    useSession.getState().setSaving(false);
  }
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
  const created = await api.createFlow(copy);
  useSession.getState().setConflict(false);
  return created.flow.id ?? copy.id;
}
