import type { MetricAggregate } from '../../shared/api/evaluation';
import { fmt, fmtMetric } from './api';

/** A histogram of one metric's per-row values (SVG, no chart library). */
export function MetricChart({ metric }: { metric: MetricAggregate }) {
  const bins = metric.histogram;
  const max = Math.max(1, ...bins.map((b) => b.count));
  const w = 220;
  const h = 70;
  const bw = bins.length ? w / bins.length : w;
  return (
    <figure className="eval-chart" data-testid={`chart-${metric.name}`}>
      <figcaption>
        <strong>{metric.name}</strong>{' '}
        {metric.kind === 'boolean'
          ? `pass ${fmt((metric.passRate ?? 0) * 100, 1)}%`
          : `mean ${fmtMetric(metric.name, metric.mean)}`}
        {metric.corpus !== undefined && metric.corpus !== null && <> · corpus {fmt(metric.corpus, 2)}</>}
        {metric.ci95 && (
          <span className="muted">
            {' '}
            · 95% CI [{fmtMetric(metric.name, metric.ci95[0])}, {fmtMetric(metric.name, metric.ci95[1])}]
          </span>
        )}
      </figcaption>
      <svg width={w} height={h + 14} role="img" aria-label={`${metric.name} distribution`}>
        {bins.map((b, i) => {
          const bh = (b.count / max) * h;
          return (
            <rect key={i} x={i * bw + 1} y={h - bh} width={Math.max(1, bw - 2)} height={bh} className="eval-bar">
              <title>
                {fmtMetric(metric.name, b.from)}–{fmtMetric(metric.name, b.to)}: {b.count}
              </title>
            </rect>
          );
        })}
        <text x={0} y={h + 12} className="eval-axis">
          {fmtMetric(metric.name, bins[0]?.from)}
        </text>
        <text x={w} y={h + 12} textAnchor="end" className="eval-axis">
          {fmtMetric(metric.name, bins[bins.length - 1]?.to)}
        </text>
      </svg>
      <div className="muted eval-small">
        median {fmtMetric(metric.name, metric.median)} · p95 {fmtMetric(metric.name, metric.p95)} · n={metric.count}
      </div>
    </figure>
  );
}
