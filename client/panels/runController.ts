import { api, ApiError, type RunDetailResponse } from '../api/http';
import { streamRun } from '../api/sse';
import { useRun, type WaitTask } from '../store/runStore';
import { useSession } from '../store/sessionStore';
import { useUi } from '../store/uiStore';
import { flushEdits } from '../store/persist';

let controller: AbortController | null = null;

interface ProblemLike {
  message?: unknown;
  nodeId?: unknown;
  path?: unknown;
  severity?: unknown;
}

/** `details.problems` of a 422 as readable lines ("• prompt: required input …"). */
function problemLines(details: unknown): string[] | null {
  const list = details && typeof details === 'object' ? (details as { problems?: unknown }).problems : undefined;
  if (!Array.isArray(list)) return null;
  return (list as ProblemLike[])
    .filter((p) => p && typeof p === 'object' && p.severity !== 'warning')
    .map(
      (p) =>
        `• ${typeof p.nodeId === 'string' ? `${p.nodeId}: ` : typeof p.path === 'string' && p.path ? `${p.path}: ` : ''}${String(p.message ?? 'problem')}`,
    );
}

/** `details.issues` / `details.problems` / `details.path` as "• where: what" lines. */
function issueLines(details: unknown): string[] {
  if (!details || typeof details !== 'object') return [];
  const d = details as { issues?: unknown; problems?: unknown; path?: unknown };
  const list = Array.isArray(d.issues) ? d.issues : Array.isArray(d.problems) ? d.problems : null;
  if (!list) return [];
  return (list as Array<ProblemLike | null>)
    .filter((p): p is ProblemLike => !!p && typeof p === 'object' && p.severity !== 'warning')
    .map((p) => {
      const where = Array.isArray(p.path) ? p.path.join('.') : typeof p.path === 'string' ? p.path : '';
      return `• ${where ? `${where}: ` : ''}${String(p.message ?? 'invalid')}`;
    });
}

function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const lines = problemLines(err.details);
    if (err.status === 422 && lines) {
      const n = lines.length;
      const head =
        err.code === 'invalid_flow'
          ? `This flow cannot run yet: ${n} problem${n === 1 ? '' : 's'} to fix (see the Problems tab).`
          : err.message;
      return [head, ...lines.slice(0, 12), ...(n > 12 ? [`… and ${n - 12} more`] : [])].join('\n');
    }
    // Field-level issues as sentences ("inputs.question: Required"), never raw JSON.
    const issues = issueLines(err.details).filter((l) => !err.message.includes(l.slice(2)));
    return issues.length ? [err.message, ...issues.slice(0, 8)].join('\n') : err.message;
  }
  return (err as Error).message;
}

/** Save if needed, then run the flow and stream its events into the run store. */
export async function startRun(inputs: Record<string, unknown>): Promise<void> {
  const session = useSession.getState();
  if (!session.flowId) return;
  if (useRun.getState().status === 'running') return;
  // The server decides whether the flow can run: a flow saved with problems answers 422 with
  // every problem, shown in the run panel as a readable list.
  if (!(await flushEdits())) return;
  useUi.getState().setBottomTab('run');
  useRun.getState().start(inputs);
  controller = new AbortController();
  try {
    await streamRun(session.flowId, inputs, (e) => useRun.getState().apply(e), controller.signal);
    const s = useRun.getState();
    if (s.status === 'running' && controller.signal.aborted) useRun.setState({ status: 'cancelled' });
    else if (s.status === 'running') useRun.getState().fail('The run stream ended before the run finished.');
    else if (isWaiting(s.status) && s.runId) void watchRun(s.runId);
  } catch (err) {
    useRun.getState().fail(describe(err));
  } finally {
    controller = null;
  }
}

export async function cancelRun(): Promise<void> {
  const { runId } = useRun.getState();
  try {
    if (runId) await api.cancelRun(runId);
  } catch (err) {
    useUi.getState().toast('error', `Cancel failed: ${describe(err)}`);
  }
  controller?.abort();
  if (useRun.getState().status === 'running') useRun.setState({ status: 'cancelled' });
}

export { describe as describeError };

/**
 * Cancel a run that waits on people (POST /api/runs/:id/cancel): its pending tasks are
 * withdrawn. The canvas, when it shows that run, stops showing it as waiting.
 */
export async function cancelWaitingRun(runId: string): Promise<void> {
  await api.cancelRun(runId);
  if (useRun.getState().runId === runId) useRun.setState({ status: 'cancelled', waitTasks: [] });
}

/** A run paused on tasks for people (the status arrives from the server as `waiting`). */
export function isWaiting(status: string): boolean {
  return status === 'waiting';
}

/**
 * The pending tasks of a run record (`tasks` of `GET /api/runs/:id`), each placed on the
 * canvas: a task inside a map/subflow/loop item belongs to the node that started the item
 * (its `path` starts with that node's id, e.g. `review-each[3]/approve`).
 */
export function waitTasksOf(rec: Pick<RunDetailResponse, 'tasks'>): WaitTask[] {
  const out: WaitTask[] = [];
  for (const task of rec.tasks ?? []) {
    if (task.status !== 'pending') continue;
    const top = task.path.split(/[[/]/)[0];
    out.push({ taskId: task.id, nodeId: top || task.nodeId, kind: task.kind });
  }
  return out;
}

/** Runs being watched (one poller per run id). */
const watched = new Set<string>();

/**
 * Follow a waiting run until it ends: its pending tasks are shown on the canvas (and linked
 * to the Inbox); when someone decides, the run resumes on the server, and its final trace
 * replaces the waiting one. Stops when the canvas shows another run (or another flow).
 */
export async function watchRun(runId: string, everyMs = 1500): Promise<void> {
  if (watched.has(runId)) return;
  watched.add(runId);
  try {
    while (useRun.getState().runId === runId) {
      let rec: RunDetailResponse;
      try {
        rec = await api.getRun(runId);
      } catch {
        await new Promise((r) => setTimeout(r, everyMs * 2));
        continue;
      }
      if (useRun.getState().runId !== runId) return;
      if (isWaiting(rec.status) || rec.status === 'running' || rec.running) {
        const tasks = waitTasksOf(rec);
        const same = (a: WaitTask[], b: WaitTask[]) =>
          a.length === b.length && a.every((t, i) => t.taskId === b[i].taskId && t.nodeId === b[i].nodeId);
        if (!same(tasks, useRun.getState().waitTasks)) useRun.getState().setWaitTasks(tasks);
        if (useRun.getState().status !== rec.status) useRun.setState({ status: rec.status });
      } else if (rec.trace) {
        useRun.getState().showTrace(rec.trace);
        return;
      } else {
        useRun.setState({ status: rec.status, waitTasks: [] });
        return;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  } finally {
    watched.delete(runId);
  }
}

/** Show a stored run on the canvas (history, a link from the Inbox); a waiting or running one is followed. */
export async function openRun(runId: string): Promise<void> {
  const rec = await api.getRun(runId);
  if (rec.trace) useRun.getState().showTrace(rec.trace);
  else useRun.setState({ runId: rec.runId, status: rec.status, inputs: rec.inputs });
  if (useRun.getState().runId !== rec.runId) useRun.setState({ runId: rec.runId });
  if (isWaiting(rec.status) || rec.status === 'running' || rec.running) {
    useRun.setState({ status: rec.status });
    useRun.getState().setWaitTasks(waitTasksOf(rec));
    void watchRun(rec.runId);
  }
}
