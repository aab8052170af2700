import { api, ApiError } from '../api/http';
import { streamRun } from '../api/sse';
import { useRun } from '../store/runStore';
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
