/**
 * CI gate helpers: threshold expressions (`exact_match>=0.8`, `latency.p95<=2000`,
 * `bleu>=25`) checked against an evaluation summary, and the plain-text summary table
 * and progress bar the CLI prints.
 */
import type { EvaluationSummary, MetricAggregate } from '../../shared/api/evaluation';

export interface Threshold {
  expr: string;
  metric: string;
  stat?: 'mean' | 'median' | 'p95' | 'min' | 'max' | 'passRate' | 'corpus';
  op: '>=' | '>' | '<=' | '<' | '==';
  value: number;
}

export interface ThresholdResult extends Threshold {
  actual: number | null;
  passed: boolean;
}

const STATS = new Set(['mean', 'median', 'p95', 'min', 'max', 'passRate', 'corpus']);

export function parseThreshold(expr: string): Threshold {
  const m = /^\s*([A-Za-z0-9_:-]+)(?:\.([A-Za-z0-9]+))?\s*(>=|<=|==|>|<)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expr);
  if (!m)
    throw new Error(
      `bad threshold "${expr}": write <metric>[.<stat>]<op><number>, e.g. "exact_match>=0.8" or "latency.p95<=2000"`,
    );
  if (m[2] && !STATS.has(m[2]))
    throw new Error(`bad threshold "${expr}": unknown statistic "${m[2]}" (use ${[...STATS].join(', ')})`);
  return {
    expr,
    metric: m[1],
    ...(m[2] ? { stat: m[2] as Threshold['stat'] } : {}),
    op: m[3] as Threshold['op'],
    value: Number(m[4]),
  };
}

/** The number a threshold compares: the named statistic, else the pass rate (boolean), corpus value (BLEU) or mean. */
export function headline(agg: MetricAggregate, stat?: Threshold['stat']): number | null {
  if (stat) return (agg[stat] as number | null | undefined) ?? null;
  if (agg.kind === 'boolean' && agg.passRate !== undefined) return agg.passRate;
  if (agg.corpus !== undefined && agg.corpus !== null) return agg.corpus;
  return agg.mean;
}

export function checkThresholds(summary: EvaluationSummary, thresholds: Threshold[]): ThresholdResult[] {
  return thresholds.map((t) => {
    const agg = summary.metrics.find((m) => m.name === t.metric);
    const actual = agg ? headline(agg, t.stat) : null;
    const passed =
      actual !== null &&
      (t.op === '>='
        ? actual >= t.value
        : t.op === '>'
          ? actual > t.value
          : t.op === '<='
            ? actual <= t.value
            : t.op === '<'
              ? actual < t.value
              : actual === t.value);
    return { ...t, actual, passed };
  });
}

const fmt = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(digits);

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

export function summaryTable(summary: EvaluationSummary, results: ThresholdResult[] = []): string {
  const rows: string[][] = [['metric', 'score', 'mean', 'median', 'p95', '95% CI', 'n', 'gate']];
  for (const m of summary.metrics) {
    const gates = results.filter((r) => r.metric === m.name);
    rows.push([
      m.name,
      fmt(headline(m)),
      fmt(m.mean),
      fmt(m.median),
      fmt(m.p95),
      m.ci95 ? `[${fmt(m.ci95[0])}, ${fmt(m.ci95[1])}]` : '—',
      String(m.count),
      gates.length ? gates.map((g) => `${g.passed ? 'PASS' : 'FAIL'} ${g.op}${g.value}`).join(' ') : '',
    ]);
  }
  const lines = [pad(rows)];
  lines.push(
    `rows: ${summary.succeeded} ok, ${summary.failed} failed · latency mean ${fmt(summary.latency.mean, 0)} ms, p95 ${fmt(summary.latency.p95, 0)} ms · tokens ${summary.tokens} · cost ${summary.costTotal === null ? 'unknown' : `$${summary.costTotal.toFixed(4)}`}`,
  );
  for (const r of results.filter((x) => !summary.metrics.some((m) => m.name === x.metric)))
    lines.push(`FAIL ${r.expr}: no metric "${r.metric}" in this evaluation`);
  return lines.join('\n');
}

export function progressBar(done: number, total: number, failed: number, concurrency: number, width = 30): string {
  const frac = total ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${done}/${total} ${(frac * 100).toFixed(0)}%${failed ? ` · ${failed} failed` : ''} · concurrency ${concurrency}`;
}
