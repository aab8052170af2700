import { memo } from 'react';
import type { StatsBucket } from '../../shared/api/deployment';

export interface Series {
  label: string;
  color: string;
  value: (b: StatsBucket) => number | null;
}

/** A small SVG line chart of bucketed values (no chart library needed). */
export const LineChart = memo(function LineChart({
  title,
  buckets,
  series,
  unit,
  height = 120,
}: {
  title: string;
  buckets: StatsBucket[];
  series: Series[];
  unit?: string;
  height?: number;
}) {
  const width = 360;
  const pad = { l: 36, r: 8, t: 8, b: 18 };
  const values = buckets
    .flatMap((b) => series.map((s) => s.value(b)))
    .filter((v): v is number => v !== null && Number.isFinite(v));
  const peak = Math.max(0, ...values);
  const max = peak > 0 ? peak : 1;
  const x = (i: number) => pad.l + (buckets.length <= 1 ? 0 : (i / (buckets.length - 1)) * (width - pad.l - pad.r));
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b);
  const fmt = (v: number) => (v >= 100 ? Math.round(v).toString() : v >= 1 ? v.toFixed(1) : v.toPrecision(2));
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  return (
    <figure className="chart" aria-label={title} style={{ margin: 0 }}>
      <figcaption className="small muted">
        {title}
        {series.length > 1 && ' — ' + series.map((s) => s.label).join(' / ')}
      </figcaption>
      <svg width="100%" viewBox={`0 0 ${width} ${height}`} role="img">
        <line x1={pad.l} x2={width - pad.r} y1={y(0)} y2={y(0)} stroke="currentColor" opacity={0.2} />
        <text x={2} y={pad.t + 8} fontSize={9} fill="currentColor" opacity={0.6}>
          {fmt(max)}
          {unit ?? ''}
        </text>
        <text x={2} y={y(0)} fontSize={9} fill="currentColor" opacity={0.6}>
          0
        </text>
        {first && last && (
          <>
            <text x={pad.l} y={height - 4} fontSize={9} fill="currentColor" opacity={0.6}>
              {new Date(first.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
            </text>
            <text x={width - pad.r} y={height - 4} fontSize={9} fill="currentColor" opacity={0.6} textAnchor="end">
              {new Date(last.at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
            </text>
          </>
        )}
        {series.map((s) => {
          const pts = buckets
            .map((b, i) => [i, s.value(b)] as const)
            .filter((p): p is readonly [number, number] => p[1] !== null);
          if (pts.length === 0) return null;
          return (
            <g key={s.label}>
              <polyline
                fill="none"
                stroke={s.color}
                strokeWidth={1.5}
                points={pts.map(([i, v]) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}
              />
              {pts.length <= 60 &&
                pts.map(([i, v]) => <circle key={i} cx={x(i)} cy={y(v)} r={v > 0 ? 2 : 0} fill={s.color} />)}
            </g>
          );
        })}
      </svg>
    </figure>
  );
});
