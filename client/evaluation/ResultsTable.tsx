import { useCallback, useEffect, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { RowResult } from '../../shared/api/evaluation';
import { cell, evalApi, fmtMetric, mainOutput } from './api';

const PAGE = 200;

/** A row's inputs in one line: the value alone when there is one input, else `name: value · …`. */
function inputsText(inputs: Record<string, unknown>, max = 160): string {
  const entries = Object.entries(inputs);
  if (entries.length === 1) return cell(entries[0]?.[1], max);
  return cell(entries.map(([k, v]) => `${k}: ${cell(v, max)}`).join(' · '), max);
}
const ROW_HEIGHT = 34;

/**
 * Results of an evaluation, virtualized: only the visible rows are in the DOM and rows
 * are fetched in pages of 200 as they scroll into view, so 100k rows stay fast.
 */
export function ResultsTable({
  evaluationId,
  count,
  metrics: chosen,
  output,
  inputNames = [],
  filter,
  version,
  onOpen,
}: {
  /** The flow inputs the dataset feeds (the header names a single one). */
  inputNames?: string[];
  evaluationId: string;
  /** Rows that match the filter. */ count: number;
  metrics: string[];
  output?: string;
  filter: string;
  version: number;
  onOpen: (rowIdx: number) => void;
}) {
  // Latency has its own column on every row: the latency metric does not add a second one.
  const metrics = chosen.filter((m) => m !== 'latency');
  const parentRef = useRef<HTMLDivElement>(null);
  const pages = useRef(new Map<number, RowResult[] | 'loading'>());
  const [, setTick] = useState(0);

  useEffect(() => {
    pages.current.clear();
    setTick((t) => t + 1);
  }, [evaluationId, filter, version]);

  const load = useCallback(
    (page: number) => {
      if (pages.current.has(page)) return;
      pages.current.set(page, 'loading');
      void evalApi.results(evaluationId, page * PAGE, PAGE, filter).then((r) => {
        pages.current.set(page, r.rows);
        setTick((t) => t + 1);
      });
    },
    [evaluationId, filter],
  );

  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => parentRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  useEffect(() => {
    const first = items[0]?.index ?? 0;
    const last = items[items.length - 1]?.index ?? 0;
    for (let p = Math.floor(first / PAGE); p <= Math.floor(last / PAGE); p++) load(p);
  }, [items, load]);

  const rowAt = (i: number): RowResult | undefined => {
    const page = pages.current.get(Math.floor(i / PAGE));
    return page && page !== 'loading' ? page[i % PAGE] : undefined;
  };
  const template = `60px 70px minmax(140px, 2fr) minmax(160px, 2fr) minmax(140px, 1.5fr) ${metrics.map(() => '110px').join(' ')} 90px`;

  return (
    <div className="eval-results" data-testid="results-table">
      <div className="eval-grid eval-grid-head" style={{ gridTemplateColumns: template }}>
        <div>row</div>
        <div>status</div>
        <div>{inputNames.length === 1 ? `input: ${inputNames[0]}` : 'inputs'}</div>
        <div>output</div>
        <div>expected</div>
        {metrics.map((m) => (
          <div key={m}>{m}</div>
        ))}
        <div>latency</div>
      </div>
      <div ref={parentRef} className="eval-scroll" data-testid="results-scroll">
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const r = rowAt(v.index);
            return (
              <div
                key={v.key}
                className={`eval-grid eval-grid-row${r?.status === 'failed' ? ' eval-failed' : ''}`}
                style={{
                  gridTemplateColumns: template,
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  right: 0,
                  height: ROW_HEIGHT,
                  transform: `translateY(${v.start}px)`,
                }}
                onClick={() => r && onOpen(r.rowIdx)}
                data-testid={r ? `result-row-${r.rowIdx}` : undefined}
              >
                {r ? (
                  <>
                    <div className="muted">{r.rowIdx + 1}</div>
                    <div>{r.status === 'failed' ? <span className="eval-bad">failed</span> : 'ok'}</div>
                    <div className="ellipsis" title={inputsText(r.inputs, 2000)} data-testid="result-inputs">
                      {inputsText(r.inputs)}
                    </div>
                    <div className="ellipsis" title={cell(mainOutput(r, output), 2000)}>
                      {r.error ? <span className="eval-bad">{r.error.message}</span> : cell(mainOutput(r, output))}
                    </div>
                    <div className="ellipsis">{cell(r.expected)}</div>
                    {metrics.map((m) => {
                      const s = r.metrics[m];
                      return (
                        <div
                          key={m}
                          className={s?.passed === false ? 'eval-bad' : s?.passed ? 'eval-good' : ''}
                          title={s?.reason ?? s?.error}
                        >
                          {s ? fmtMetric(m, s.value) : ''}
                        </div>
                      );
                    })}
                    <div>{fmtMetric('latency', r.latencyMs)}</div>
                  </>
                ) : (
                  <div className="muted">{v.index < count ? 'loading…' : ''}</div>
                )}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
