/**
 * The child runs a node started (map items, loop iterations, a subflow's run, an agent's
 * flow-tool calls), paged from the server, and the spans of the one picked: drill from a map
 * node into any item's own run without loading the others (a map over 10,000 items opens as
 * fast as one over 10).
 */
import { useEffect, useState } from 'react';
import type { Span } from '../../shared/runtime/events';
import { api, type ChildRunPage, type RunDetailResponse, type RunSummary } from '../api/http';
import { JsonView } from '../ui/JsonView';

const PAGE = 50;

export function ChildSpans({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunDetailResponse | { failed: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    setRun(null);
    api.getRun(runId).then(
      (r) => alive && setRun(r),
      (e: Error) => alive && setRun({ failed: e.message }),
    );
    return () => {
      alive = false;
    };
  }, [runId]);
  if (!run) return <p className="muted small">Loading run {runId}…</p>;
  if ('failed' in run) return <p className="field-error">{run.failed}</p>;
  const spans: Span[] = run.trace?.spans ?? [];
  return (
    <div className="child-run" data-testid="child-run">
      <div className="kv small">
        <span>run</span>
        <b className="mono">{run.runId}</b>
        <span>flow</span>
        <b>{run.flowId}</b>
        <span>status</span>
        <b className={`st-${run.status}`}>{run.status}</b>
      </div>
      <h5>Inputs</h5>
      <JsonView value={run.inputs} />
      <h5>Spans</h5>
      <ul className="child-spans">
        {spans.map((s) => (
          <li key={s.nodeId}>
            <button
              type="button"
              className={`linklike st-${s.status}`}
              data-testid={`child-span-${s.nodeId}`}
              onClick={() => setOpen(open === s.nodeId ? null : s.nodeId)}
            >
              {s.nodeId} · {s.nodeType} · {s.status} · {Math.round(s.durationMs)} ms
            </button>
            {open === s.nodeId ? (
              <div className="child-span-detail">
                {s.error ? (
                  <div className="field-error">
                    {s.error.code}: {s.error.message}
                  </div>
                ) : null}
                <h5>Inputs</h5>
                <JsonView value={s.inputs} />
                <h5>Outputs</h5>
                <JsonView value={s.outputs} />
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      <h5>Outputs</h5>
      <JsonView value={run.outputs ?? run.trace?.outputs} />
    </div>
  );
}

function label(c: RunSummary, nodeType: string): string {
  const i = c.parent?.iteration;
  if (i === undefined) return c.flowId;
  if (nodeType === 'agent') return `step ${i} · ${c.flowId}`;
  return nodeType === 'loop' ? `iteration ${i + 1}` : `item ${i}`;
}

export function ChildRuns({ runId, nodeId, nodeType }: { runId: string; nodeId: string; nodeType: string }) {
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<ChildRunPage | { failed: string } | null>(null);
  const [picked, setPicked] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    api.childRuns(runId, nodeId, offset, PAGE).then(
      (p) => alive && setPage(p),
      (e: Error) => alive && setPage({ failed: e.message }),
    );
    return () => {
      alive = false;
    };
  }, [runId, nodeId, offset]);
  if (!page) return <p className="muted small">Loading child runs…</p>;
  if ('failed' in page) return <p className="field-error">Child runs could not be loaded: {page.failed}</p>;
  if (page.total === 0) return null;
  const last = Math.min(offset + page.runs.length, page.total);
  return (
    <div className="child-runs" data-testid="child-runs">
      <h5>
        Child runs ({offset + 1}–{last} of {page.total})
      </h5>
      <ul className="child-run-list">
        {page.runs.map((c) => (
          <li key={c.runId}>
            <button
              type="button"
              className={`linklike st-${c.status} ${picked === c.runId ? 'is-picked' : ''}`}
              data-testid={`child-run-${c.parent?.iteration ?? c.runId}`}
              onClick={() => setPicked(picked === c.runId ? null : c.runId)}
            >
              {label(c, nodeType)} · {c.status}
              {c.durationMs !== undefined ? ` · ${Math.round(c.durationMs)} ms` : ''}
              {c.error ? ` · ${c.error.message}` : ''}
            </button>
          </li>
        ))}
      </ul>
      {page.total > PAGE ? (
        <div className="pager">
          <button
            className="btn btn-small"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE))}
          >
            Previous
          </button>
          <button className="btn btn-small" disabled={last >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Next
          </button>
        </div>
      ) : null}
      {picked ? <ChildSpans runId={picked} /> : null}
    </div>
  );
}
