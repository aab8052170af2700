/** Try a query: mode, top-k, optional JSON filter → ranked chunks with scores. */
import { NumberInput } from '../ui/NumberInput';
import { useState } from 'react';
import { Icon } from '../ui/Icon';
import { kbApi, type KnowledgeQueryResponse, type KnowledgeSearchMode } from './api';

export function QueryPanel({ kb, hasVectors }: { kb: string; hasVectors: boolean }) {
  const [query, setQuery] = useState('');
  const [mode, setMode] = useState<KnowledgeSearchMode>('bm25');
  const [topK, setTopK] = useState(5);
  const [topKOk, setTopKOk] = useState(true);
  const [filter, setFilter] = useState('');
  const [result, setResult] = useState<KnowledgeQueryResponse>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async () => {
    if (!query.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      let f: Record<string, unknown> | undefined;
      if (filter.trim()) {
        try {
          f = JSON.parse(filter) as Record<string, unknown>;
        } catch {
          throw new Error('the filter must be a JSON object, e.g. {"source": "faq.md"}');
        }
      }
      setResult(await kbApi.query(kb, { query, mode, topK, ...(f ? { filter: f } : {}) }));
    } catch (e) {
      setError((e as Error).message);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="kb-query kb-section">
      <h4>Try a query</h4>
      <div className="kb-card kb-query-card">
        <div className="kb-query-row">
          <input
            className="input"
            aria-label="query"
            data-testid="kb-query"
            placeholder="Ask something…"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && void run()}
          />
          <select
            className="input kb-mode"
            value={mode}
            onChange={(e) => setMode(e.target.value as KnowledgeSearchMode)}
            aria-label="mode"
          >
            <option value="bm25">BM25</option>
            <option value="vector" disabled={!hasVectors}>
              vector
            </option>
            <option value="hybrid" disabled={!hasVectors}>
              hybrid
            </option>
          </select>
          <label className="kb-topk">
            <span className="field-label">top-k</span>
            <NumberInput
              label="top-k"
              integer
              min={1}
              max={100}
              value={topK}
              onChange={(n) => n !== undefined && setTopK(n)}
              onValidity={setTopKOk}
            />
          </label>
          <button className="btn btn-primary" onClick={() => void run()} disabled={busy || !topKOk}>
            <Icon name="search" size={14} /> Search
          </button>
        </div>
        <input
          className="input kb-filter mono"
          aria-label="filter"
          placeholder='filter (optional JSON), e.g. {"source": "faq.md"}'
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        {!hasVectors && (
          <p className="kb-hint">Vector and hybrid need an embedding model (set when the knowledge base is created).</p>
        )}
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {result && (
        <>
          <p className="kb-hint kb-result-summary">
            {result.results.length} {result.results.length === 1 ? 'result' : 'results'} · mode {result.mode} ·{' '}
            {result.tookMs} ms
          </p>
          {result.notices
            .filter((n) => n.code !== 'no_match')
            .map((n) => (
              <p key={n.code} className="kb-notice" role="status" data-testid={`kb-notice-${n.code}`}>
                {n.message}
              </p>
            ))}
          <ol className="kb-hits" data-testid="kb-hits">
            {result.results.map((h, i) => (
              <li key={h.id} className="kb-card">
                <div className="kb-hit-head">
                  <span className="kb-rank">#{i + 1}</span>
                  <span className="kb-score" title="score">
                    {h.score.toFixed(4)}
                  </span>
                  <span className="kb-source mono">{String(h.metadata.source ?? '')}</span>
                  {h.metadata.page !== undefined && <span>p. {String(h.metadata.page)}</span>}
                  {typeof h.metadata.heading === 'string' && <span className="kb-heading">{h.metadata.heading}</span>}
                </div>
                <pre>{h.text}</pre>
              </li>
            ))}
          </ol>
          {result.results.length === 0 && (
            <p className="muted" data-testid="kb-notice-no_match">
              {result.notices.find((n) => n.code === 'no_match')?.message ?? 'No chunk matched this query.'}
            </p>
          )}
        </>
      )}
    </section>
  );
}
