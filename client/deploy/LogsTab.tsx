import { Icon } from '../ui/Icon';
import { useCallback, useEffect, useState } from 'react';
import type { RequestLogEntry } from '../../shared/api/deployment';
import type { Trace } from '../../shared/runtime/events';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { Modal } from '../ui/Modal';
import { deployApi, type LogQuery } from './api';

type Detail = RequestLogEntry & { trace: Trace | null };

/** Browse the request log, filter by status / feedback / latency, and add a call to a dataset. */
export function LogsTab({ slug }: { slug: string }) {
  const toast = useUi((s) => s.toast);
  const [q, setQ] = useState<LogQuery>({});
  const [items, setItems] = useState<RequestLogEntry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [open, setOpen] = useState<Detail | null>(null);
  const [ds, setDs] = useState({ name: `${slug}-from-production`, expected: '' });

  const load = useCallback(
    (before?: string) => {
      deployApi.logs(slug, { ...q, ...(before ? { before } : {}) }).then(
        (page) => {
          setItems((prev) => (before ? [...prev, ...page.items] : page.items));
          setNext(page.next);
        },
        (e) => toast('error', describeError(e)),
      );
    },
    [slug, q, toast],
  );
  useEffect(() => load(), [load]);

  const show = (traceId: string) =>
    deployApi.log(slug, traceId).then(
      (d) => {
        setOpen(d);
        const out = d.outputs ? Object.values(d.outputs)[0] : '';
        setDs((x) => ({ ...x, expected: typeof out === 'string' ? out : JSON.stringify(out ?? '') }));
      },
      (e) => toast('error', describeError(e)),
    );

  const addToDataset = () => {
    if (!open) return;
    deployApi.toDataset(slug, open.traceId, { datasetName: ds.name, expected: ds.expected }).then(
      (r) => toast('success', `added as row ${r.version.rowCount} of dataset version ${r.version.version}`),
      (e) => toast('error', describeError(e)),
    );
  };

  return (
    <div data-testid="logs">
      <div className="row" style={{ gap: 8 }}>
        <select
          className="input"
          value={q.status ?? ''}
          onChange={(e) => setQ({ ...q, status: e.target.value || undefined })}
          aria-label="status"
        >
          <option value="">any status</option>
          <option value="succeeded">succeeded</option>
          <option value="error">errors</option>
          <option value="waiting">waiting for a person</option>
        </select>
        <select
          className="input"
          value={q.feedback ?? ''}
          onChange={(e) => setQ({ ...q, feedback: e.target.value || undefined })}
          aria-label="feedback"
        >
          <option value="">any feedback</option>
          <option value="negative">negative feedback</option>
          <option value="positive">positive feedback</option>
          <option value="any">with feedback</option>
        </select>
        <input
          className="input"
          type="number"
          placeholder="min latency ms"
          style={{ width: 140 }}
          value={q.minLatencyMs ?? ''}
          onChange={(e) => setQ({ ...q, minLatencyMs: e.target.value ? Number(e.target.value) : undefined })}
        />
        <button className="btn btn-small" onClick={() => load()}>
          Refresh
        </button>
      </div>
      <table className="table">
        <thead>
          <tr>
            <th>Time</th>
            <th>Status</th>
            <th>Latency</th>
            <th>Tokens</th>
            <th>Cost</th>
            <th>Key</th>
            <th>Feedback</th>
          </tr>
        </thead>
        <tbody>
          {items.map((l) => (
            <tr key={l.traceId} onClick={() => void show(l.traceId)} style={{ cursor: 'pointer' }}>
              <td className="small">
                {new Date(l.createdAt).toLocaleString()}{' '}
                <span className="muted">
                  v{l.version} {l.api}
                </span>
              </td>
              <td
                className={
                  l.status === 'succeeded' || l.status === 'waiting' || l.status === 'cancelled'
                    ? `st-${l.status}`
                    : 'st-failed'
                }
                title={l.errorMessage ?? ''}
              >
                {/* A 202 call paused for a person: its row shows what became of the run. */}
                {l.httpStatus}
                {l.httpStatus === 202 ? ` ${l.status}` : ''} {l.promptInjection ? '⚠ injection' : ''}
              </td>
              <td>{Math.round(l.latencyMs)} ms</td>
              <td>{l.totalTokens}</td>
              <td>{l.cost === null ? '—' : `$${l.cost.toFixed(5)}`}</td>
              <td className="small">{l.keyLabel ?? ''}</td>
              <td title={l.feedbackComment ?? ''}>
                {l.feedbackSentiment === null ? null : l.feedbackSentiment === 0.5 ? (
                  <span title="neutral">•</span>
                ) : (
                  <span
                    role="img"
                    aria-label={l.feedbackSentiment > 0.5 ? 'positive feedback' : 'negative feedback'}
                    title={l.feedbackSentiment > 0.5 ? 'positive feedback' : 'negative feedback'}
                  >
                    <Icon name={l.feedbackSentiment > 0.5 ? 'thumbs-up' : 'thumbs-down'} size={13} />
                  </span>
                )}{' '}
                {l.feedbackComment ? (
                  <span role="img" aria-label="with a comment" title={l.feedbackComment}>
                    <Icon name="message-square" size={13} />
                  </span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items.length === 0 && <p className="muted">No calls match.</p>}
      {next && (
        <button className="btn btn-small" onClick={() => load(next)}>
          Older
        </button>
      )}
      {open && (
        <Modal title={`Call ${open.traceId}`} wide onClose={() => setOpen(null)}>
          <div className="kv">
            <span className="muted">Status</span>
            <span>
              {open.httpStatus} {open.errorMessage ?? ''}
            </span>
            <span className="muted">Latency</span>
            <span>
              {Math.round(open.latencyMs)} ms, {open.totalTokens} tokens
            </span>
            <span className="muted">Feedback</span>
            <span>
              {open.feedbackScore ?? '—'} {open.feedbackComment ?? ''}
            </span>
          </div>
          <h4>Inputs</h4>
          <pre className="json">{JSON.stringify(open.inputs, null, 2)}</pre>
          <h4>Outputs</h4>
          <pre className="json">{JSON.stringify(open.outputs, null, 2)}</pre>
          {open.trace && (
            <details>
              <summary>Trace ({open.trace.spans.length} spans)</summary>
              <pre className="json">
                {JSON.stringify(
                  open.trace.spans.map((s) => ({
                    node: s.nodeId,
                    status: s.status,
                    ms: s.durationMs,
                    tokens: s.tokens,
                    error: s.error,
                  })),
                  null,
                  2,
                )}
              </pre>
            </details>
          )}
          <h4>Add to a dataset</h4>
          <label className="field">
            <span className="field-label">Dataset name (created if new)</span>
            <input className="input" value={ds.name} onChange={(e) => setDs({ ...ds, name: e.target.value })} />
          </label>
          <label className="field">
            <span className="field-label">Expected value</span>
            <textarea
              className="input"
              rows={3}
              value={ds.expected}
              onChange={(e) => setDs({ ...ds, expected: e.target.value })}
            />
          </label>
          <button className="btn btn-primary" onClick={addToDataset}>
            Add row
          </button>
        </Modal>
      )}
    </div>
  );
}
