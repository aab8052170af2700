import { memo } from 'react';
import type { StatsBucket } from '../../shared/api/deployment';

export interface Series {
  label: string;
  color: string;
  value: (b: StatsBucket) => number | null;
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above `v` (a y axis that ends on a round number). */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p * (1 + 1e-9)) return m * p;
  return 10 * p;
}

/**
 * Runs of consecutive buckets that have a value: a line joins the points of one run only,
 * so a gap (a bucket without calls) is a gap, never a line drawn across it.
 */
export function runsOf(values: Array<number | null>): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> | undefined;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) {
      cur = undefined;
      return;
    }
    if (!cur) runs.push((cur = []));
    cur.push([i, v]);
  });
  return runs;
}

function fmtTick(v: number): string {
  if (v === 0) return '0';
  if (v >= 1000) return `${Math.round(v / 100) / 10}k`;
  if (v >= 10) return String(Math.round(v));
  if (v >= 1) return String(Math.round(v * 10) / 10);
  if (v >= 0.001) return String(Number(v.toPrecision(2)));
  return v.toExponential(0); // 2e-5, not a 0.00002 that runs off the axis
}

/**
 * A small SVG line chart of bucketed values (no chart library needed): a round y axis
 * with its unit, start and end times, a legend, and points where data is sparse.
 */
export const LineChart = memo(function LineChart({
  title,
  buckets,
  series,
  unit,
  height = 130,
  testId,
}: {
  title: string;
  buckets: StatsBucket[];
  series: Series[];
  /** Unit of the y axis, shown after the top value ("ms", "%", "$"). */
  unit?: string;
  height?: number;
  testId?: string;
}) {
  const width = 360;
  const pad = { l: 44, r: 8, t: 10, b: 18 };
  const perSeries = series.map((s) => buckets.map((b) => s.value(b)));
  const values = perSeries.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const max = niceCeil(Math.max(0, ...values));
  const plotW = width - pad.l - pad.r;
  const x = (i: number) => pad.l + (buckets.length <= 1 ? plotW / 2 : (i / (buckets.length - 1)) * plotW);
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b);
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  const time = (at: number) => new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const empty = values.length === 0;
  return (
    <figure className="chart" aria-label={title} style={{ margin: 0 }} data-testid={testId}>
      <figcaption className="chart-head">
        <span className="small muted">
          {title}
          {unit ? ` (${unit.trim()})` : ''}
        </span>
        <span className="chart-legend">
          {series.map((s) => (
            <span key={s.label} className="chart-legend-item">
              <span className="chart-swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
        </span>
      </figcaption>
      <svg width="100%" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title} chart`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line
              x1={pad.l}
              x2={width - pad.r}
              y1={y(max * f)}
              y2={y(max * f)}
              stroke="currentColor"
              opacity={f === 0 ? 0.25 : 0.08}
            />
            <text x={pad.l - 4} y={y(max * f) + 3} fontSize={9} fill="currentColor" opacity={0.6} textAnchor="end">
              {fmtTick(max * f)}
            </text>
          </g>
        ))}
        {first && last && (
          <>
            <text x={pad.l} y={height - 4} fontSize={9} fill="currentColor" opacity={0.6}>
              {time(first.at)}
            </text>
            <text x={width - pad.r} y={height - 4} fontSize={9} fill="currentColor" opacity={0.6} textAnchor="end">
              {time(last.at)}
            </text>
          </>
        )}
        {empty && (
          <text
            x={pad.l + plotW / 2}
            y={(height - pad.b + pad.t) / 2}
            fontSize={10}
            fill="currentColor"
            opacity={0.5}
            textAnchor="middle"
          >
            no calls in this window
          </text>
        )}
        {series.map((s, si) => {
          const runs = runsOf(perSeries[si] ?? []);
          const sparse = runs.reduce((n, r) => n + r.length, 0) <= 60;
          return (
            <g key={s.label} data-series={s.label}>
              {runs.map((run) =>
                run.length > 1 ? (
                  <polyline
                    key={run[0]?.[0]}
                    fill="none"
                    stroke={s.color}
                    strokeWidth={1.5}
                    points={run.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
                  />
                ) : null,
              )}
              {runs.flatMap((run) =>
                run
                  // a lone point (no neighbour to join) always; the non-zero points of a sparse series
                  .filter(([, v]) => run.length === 1 || (sparse && v !== 0))
                  .map(([i, v]) => (
                    <circle key={i} cx={x(i)} cy={y(v)} r={run.length === 1 ? 3 : 2} fill={s.color}>
                      <title>{`${s.label} ${fmtTick(v)}${unit ?? ''} at ${time(buckets[i]?.at ?? 0)}`}</title>
                    </circle>
                  )),
              )}
            </g>
          );
        })}
      </svg>
    </figure>
  );
});
