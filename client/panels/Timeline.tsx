import { useEffect, useState } from 'react';
import { useRun } from '../store/runStore';
import { useDoc } from '../store/docStore';

/** One bar per node over the run's time axis: parallel branches overlap visibly. */
export function Timeline() {
  const started = useRun((s) => s.started);
  const spans = useRun((s) => s.spans);
  const status = useRun((s) => s.status);
  const nodeStatus = useRun((s) => s.nodeStatus);
  const t0 = useRun((s) => s.runStartedAt);
  const selectOnly = useDoc((s) => s.selectOnly);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (status !== 'running') return;
    const t = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(t);
  }, [status]);
  const ids = Object.keys(started).sort((a, b) => started[a] - started[b]);
  const skipped = Object.keys(nodeStatus).filter((id) => nodeStatus[id] === 'skipped' && !started[id]);
  if (!ids.length && !skipped.length)
    return (
      <div className="muted small pad">
        Run the flow to see each node’s timing here. Click a node on the canvas to see its inputs and outputs.
      </div>
    );
  const end = Math.max(
    now * (status === 'running' ? 1 : 0),
    ...ids.map((id) => (spans[id] ? spans[id].startedAt + spans[id].durationMs : started[id])),
    t0 + 1,
  );
  const total = Math.max(1, end - t0);
  return (
    <div className="timeline" data-testid="timeline">
      {ids.map((id) => {
        const sp = spans[id];
        const start = started[id] - t0;
        const dur = sp ? sp.durationMs : Math.max(0, now - started[id]);
        const st = nodeStatus[id] ?? 'running';
        return (
          <button
            key={id}
            className="tl-row"
            onClick={() => selectOnly([id])}
            title={`${id}: ${st}, ${Math.round(dur)} ms`}
          >
            <span className="tl-name">{id}</span>
            <span className="tl-track">
              <span
                className={`tl-bar st-${st}`}
                style={{ left: `${(start / total) * 100}%`, width: `${Math.max(0.8, (dur / total) * 100)}%` }}
              />
            </span>
            <span className="tl-ms">{sp ? `${Math.round(sp.durationMs)} ms` : '…'}</span>
          </button>
        );
      })}
      {skipped.map((id) => (
        <button key={id} className="tl-row" onClick={() => selectOnly([id])}>
          <span className="tl-name">{id}</span>
          <span className="tl-track muted small">skipped</span>
          <span className="tl-ms" />
        </button>
      ))}
    </div>
  );
}
