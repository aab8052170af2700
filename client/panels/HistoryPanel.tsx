import { useEffect, useState } from 'react';
import { api, type RunSummary } from '../api/http';
import { useSession } from '../store/sessionStore';
import { useRun } from '../store/runStore';
import { useUi } from '../store/uiStore';
import { startRun, describeError, isWaiting, openRun } from './runController';
import { CancelWaitingRun } from './CancelWaitingRun';

/** The flow's past runs: open one to see its statuses on the canvas, or run it again. */
export function HistoryPanel() {
  const flowId = useSession((s) => s.flowId);
  const runStatus = useRun((s) => s.status);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  useEffect(() => {
    if (!flowId || runStatus === 'running') return;
    api
      .listRuns(flowId)
      .then((r) => {
        setRuns(r);
        setError(null);
      })
      .catch((e) => setError(describeError(e)));
  }, [flowId, runStatus, reload]);
  if (error) return <div className="field-error pad">Run history unavailable: {error}</div>;
  if (!runs) return <div className="muted small pad">Loading…</div>;
  if (!runs.length)
    return <div className="muted small pad">No runs yet. Open the Run tab, fill in the inputs and press Run.</div>;
  return (
    <table className="table small" data-testid="history">
      <thead>
        <tr>
          <th>Started</th>
          <th>Status</th>
          <th>Duration</th>
          <th>Note</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr key={r.runId}>
            <td>{new Date(r.startedAt).toLocaleString()}</td>
            <td>
              <span className={`status-chip st-${r.status}`} data-testid={`history-status-${r.runId}`}>
                {r.status}
              </span>
              {isWaiting(r.status) ? (
                <>
                  {' '}
                  <a className="small" href="#/inbox" data-testid={`history-inbox-${r.runId}`}>
                    Inbox →
                  </a>
                </>
              ) : null}
            </td>
            <td>{r.durationMs !== undefined ? `${Math.round(r.durationMs)} ms` : '—'}</td>
            <td className="mono ellipsis">
              {r.source === 'node' || r.nodeId ? `node ${r.nodeId}` : r.error ? r.error.message : ''}
            </td>
            <td className="row">
              <button
                className="btn btn-small"
                onClick={() =>
                  openRun(r.runId)
                    .then(() => useUi.getState().setBottomTab('run'))
                    .catch((e) => useUi.getState().toast('error', describeError(e)))
                }
              >
                Open
              </button>
              <button
                className="btn btn-small"
                onClick={() =>
                  api
                    .getRun(r.runId)
                    .then((rec) => startRun(rec.inputs))
                    .catch((e) => useUi.getState().toast('error', describeError(e)))
                }
              >
                Re-run
              </button>
              {isWaiting(r.status) ? (
                <CancelWaitingRun
                  runId={r.runId}
                  small
                  testId={`history-cancel-${r.runId}`}
                  // The open run's cancel changes runStatus, which reloads the list already.
                  onCancelled={() => {
                    if (useRun.getState().runId !== r.runId) setReload((n) => n + 1);
                  }}
                />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
