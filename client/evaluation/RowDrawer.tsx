import { Icon } from '../ui/Icon';
import { useEffect, useState } from 'react';
import { evalApi, fmtMetric, type RowWithTrace } from './api';

/** One row: inputs, outputs, expected, every metric with its reason, the trace, and human review. */
export function RowDrawer({
  evaluationId,
  rowIdx,
  onClose,
  onReviewed,
}: {
  evaluationId: string;
  rowIdx: number;
  onClose: () => void;
  onReviewed: () => void;
}) {
  const [row, setRow] = useState<RowWithTrace>();
  const [comment, setComment] = useState('');
  const [saved, setSaved] = useState<string>();
  useEffect(() => {
    setRow(undefined);
    setSaved(undefined);
    void evalApi.row(evaluationId, rowIdx).then(setRow);
  }, [evaluationId, rowIdx]);
  const review = async (kind: 'thumbs' | 'rating', value: number) => {
    await evalApi.review(evaluationId, { rowIdx, kind, value, ...(comment ? { comment } : {}) });
    setSaved(kind === 'thumbs' ? (value ? 'thumbs up saved' : 'thumbs down saved') : `rated ${value}/5`);
    onReviewed();
  };
  return (
    <aside className="eval-drawer" data-testid="row-drawer">
      <div className="eval-row">
        <h3>Row {rowIdx + 1}</h3>
        <button className="btn btn-small" onClick={onClose} aria-label="close row">
          ✕
        </button>
      </div>
      {!row ? (
        <p className="muted">loading…</p>
      ) : (
        <>
          <h4>Inputs</h4>
          <pre className="json">{JSON.stringify(row.inputs, null, 2)}</pre>
          <h4>Output</h4>
          <pre className="json" data-testid="row-output">
            {row.error ? `${row.error.code}: ${row.error.message}` : JSON.stringify(row.outputs, null, 2)}
          </pre>
          <h4>Expected</h4>
          <pre className="json">{JSON.stringify(row.expected, null, 2)}</pre>
          <h4>Metrics</h4>
          <table className="eval-table">
            <tbody>
              {Object.entries(row.metrics).map(([k, s]) => (
                <tr key={k}>
                  <td>{k}</td>
                  <td>{fmtMetric(k, s.value)}</td>
                  <td className="muted">{s.reason ?? s.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Review</h4>
          <div className="eval-row">
            <button
              className="btn btn-small"
              onClick={() => void review('thumbs', 1)}
              data-testid="thumbs-up"
              aria-label="Thumbs up"
              title="Thumbs up: a good answer"
            >
              <Icon name="thumbs-up" size={14} />
            </button>
            <button
              className="btn btn-small"
              onClick={() => void review('thumbs', 0)}
              data-testid="thumbs-down"
              aria-label="Thumbs down"
              title="Thumbs down: a bad answer"
            >
              <Icon name="thumbs-down" size={14} />
            </button>
            {[1, 2, 3, 4, 5].map((n) => (
              <button
                key={n}
                className="btn btn-small"
                onClick={() => void review('rating', n)}
                data-testid={`rate-${n}`}
              >
                {n}
              </button>
            ))}
            {saved && <span className="muted">{saved}</span>}
          </div>
          <input
            className="input"
            placeholder="comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <h4>Trace {row.runId && <span className="muted eval-small">{row.runId}</span>}</h4>
          {row.trace ? (
            <div data-testid="row-trace">
              {row.trace.spans.map((s) => (
                <details key={s.nodeId} className="eval-span">
                  <summary>
                    <strong>{s.nodeId}</strong> <span className="muted">{s.nodeType}</span> · {s.status} ·{' '}
                    {Math.round(s.durationMs)} ms
                    {s.tokens ? ` · ${s.tokens.totalTokens} tokens` : ''}
                    {s.error ? ` · ${s.error.code}` : ''}
                  </summary>
                  <pre className="json">
                    {JSON.stringify({ inputs: s.inputs, outputs: s.outputs, error: s.error, meta: s.meta }, null, 2)}
                  </pre>
                </details>
              ))}
            </div>
          ) : (
            <p className="muted">no trace (the row failed before the flow ran)</p>
          )}
        </>
      )}
    </aside>
  );
}
