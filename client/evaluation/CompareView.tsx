import { useEffect, useState } from 'react';
import type { Comparison, EvaluationInfo } from '../../shared/api/evaluation';
import { cell, evalApi, fmtMetric, mainOutput } from './api';

/** Two evaluations of the same dataset version: metric deltas with paired-bootstrap CIs, row diffs, and pairwise picks. */
export function CompareView({ a, b }: { a: EvaluationInfo; b: EvaluationInfo }) {
  const [cmp, setCmp] = useState<Comparison>();
  const [error, setError] = useState<string>();
  const [filter, setFilter] = useState('disagree');
  const [picked, setPicked] = useState<Record<number, string>>({});
  useEffect(() => {
    setError(undefined);
    void evalApi.compare(a.id, b.id, filter).then(setCmp, (e: Error) => setError(e.message));
  }, [a.id, b.id, filter]);
  const pick = async (rowIdx: number, winner: 'a' | 'b' | 'tie') => {
    await evalApi.review(a.id, {
      rowIdx,
      kind: 'pairwise',
      value: winner === 'a' ? 1 : winner === 'b' ? 0 : 0.5,
      otherEvaluationId: b.id,
    });
    setPicked((p) => ({ ...p, [rowIdx]: winner }));
  };
  if (error) return <div className="banner">{error}</div>;
  if (!cmp) return <p className="muted pad">comparing…</p>;
  return (
    <div className="eval-view" data-testid="compare-view">
      <h3>
        A: {a.name} ↔ B: {b.name}
      </h3>
      <table className="eval-table" data-testid="compare-metrics">
        <thead>
          <tr>
            <th>metric</th>
            <th>A</th>
            <th>B</th>
            <th>Δ (B − A)</th>
            <th>95% CI (paired bootstrap)</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {cmp.metrics.map((m) => (
            <tr key={m.name}>
              <td>{m.name}</td>
              <td>{fmtMetric(m.name, m.a)}</td>
              <td>{fmtMetric(m.name, m.b)}</td>
              <td className={m.significant ? ((m.delta ?? 0) > 0 ? 'eval-good' : 'eval-bad') : ''}>
                {fmtMetric(m.name, m.delta)}
              </td>
              <td>{m.ci95 ? `[${fmtMetric(m.name, m.ci95[0])}, ${fmtMetric(m.name, m.ci95[1])}]` : '—'}</td>
              <td className="muted">{m.significant ? 'significant' : 'not significant'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="eval-row">
        <span className="muted">Rows</span>
        <select
          className="input"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          data-testid="compare-filter"
        >
          <option value="disagree">where they disagree</option>
          <option value="failed">where one failed</option>
          <option value="a_better">A scores higher</option>
          <option value="b_better">B scores higher</option>
          <option value="all">all</option>
        </select>
        <a className="btn btn-small" href={evalApi.preferencesUrl(a.id, b.id)} download>
          Export preferences (JSONL)
        </a>
      </div>
      <div className="eval-table-wrap">
        <table className="eval-table">
          <thead>
            <tr>
              <th>row</th>
              <th>input</th>
              <th>A output</th>
              <th>B output</th>
              <th>better?</th>
            </tr>
          </thead>
          <tbody>
            {(cmp.rows ?? []).map((r) => (
              <tr key={r.rowIdx} data-testid={`compare-row-${r.rowIdx}`}>
                <td className="muted">{r.rowIdx + 1}</td>
                <td>{cell((r.a ?? r.b)?.inputs)}</td>
                <td className={r.a?.status === 'failed' ? 'eval-bad' : ''}>
                  {r.a ? (r.a.error ? r.a.error.message : cell(mainOutput(r.a, a.config.output))) : '—'}
                </td>
                <td className={r.b?.status === 'failed' ? 'eval-bad' : ''}>
                  {r.b ? (r.b.error ? r.b.error.message : cell(mainOutput(r.b, b.config.output))) : '—'}
                </td>
                <td>
                  {picked[r.rowIdx] ? (
                    <span className="muted">
                      {picked[r.rowIdx] === 'tie' ? 'tie' : `${picked[r.rowIdx].toUpperCase()} preferred`}
                    </span>
                  ) : (
                    <>
                      <button className="btn btn-small" onClick={() => void pick(r.rowIdx, 'a')}>
                        A
                      </button>
                      <button className="btn btn-small" onClick={() => void pick(r.rowIdx, 'b')}>
                        B
                      </button>
                      <button className="btn btn-small" onClick={() => void pick(r.rowIdx, 'tie')}>
                        tie
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
