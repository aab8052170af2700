import { api, ApiError } from '../api/http';
import { streamRun } from '../api/sse';
import { useRun } from '../store/runStore';
import { useSession } from '../store/sessionStore';
import { useUi } from '../store/uiStore';
import { useDerived } from '../store/derived';
import { saveCurrent } from '../store/persist';

let controller: AbortController | null = null;

function describe(err: unknown): string {
  if (err instanceof ApiError) {
    const details = err.details && typeof err.details === 'object' ? JSON.stringify(err.details) : '';
    return `${err.message}${details && details !== '{}' ? ` — ${details.slice(0, 300)}` : ''}`;
  }
  return (err as Error).message;
}

/** Save if needed, then run the flow and stream its events into the run store. */
export async function startRun(inputs: Record<string, unknown>): Promise<void> {
  const session = useSession.getState();
  if (!session.flowId) return;
  if (useRun.getState().status === 'running') return;
  const errors = useDerived.getState().problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    useUi.getState().setBottomTab('problems');
    useUi.getState().toast('error', `Fix ${errors.length} problem(s) before running.`);
    return;
  }
  if (session.dirty && !(await saveCurrent())) return;
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
