/**
 * What the CLI prints: the summary table (failed rows first, with their first errors,
 * then one line per metric with its gate results) and the progress bar. The gate's
 * rules live in ./gate.ts.
 */
import type { EvaluationSummary, RowResult } from '../../shared/api/evaluation';
import { failedRate, headline, type GateResult, type ThresholdResult } from './gate';

const fmt = (v: number | null | undefined, digits = 3): string =>
  v === null || v === undefined ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(digits);

function pad(cells: string[][]): string {
  const widths = cells[0].map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
    .join('\n');
}

/** "FAILED ROWS: 3 of 10 (30%)" and the first errors, or nothing when no row failed. */
export function failedRowsReport(
  summary: EvaluationSummary,
  sample: Array<Pick<RowResult, 'rowIdx' | 'error'>>,
): string[] {
  if (summary.failed === 0) return [];
  const n = summary.succeeded + summary.failed;
  const lines = [
    `FAILED ROWS: ${summary.failed} of ${n} (${((failedRate(summary) ?? 0) * 100).toFixed(0)}%)${summary.succeeded === 0 ? ' — every row failed' : ''}`,
  ];
  for (const r of sample) lines.push(`  row ${r.rowIdx + 1}: ${r.error?.code ?? 'failed'}: ${r.error?.message ?? ''}`);
  if (sample.length < summary.failed) lines.push(`  … and ${summary.failed - sample.length} more`);
  return lines;
}

export function summaryTable(
  summary: EvaluationSummary,
  results: ThresholdResult[] = [],
  failedSample: Array<Pick<RowResult, 'rowIdx' | 'error'>> = [],
): string {
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
  const lines = [...failedRowsReport(summary, failedSample), pad(rows)];
  lines.push(
    `rows: ${summary.succeeded} ok, ${summary.failed} failed · latency mean ${fmt(summary.latency.mean, 0)} ms, p95 ${fmt(summary.latency.p95, 0)} ms · tokens ${summary.tokens} · cost ${summary.costTotal === null ? 'unknown' : `$${summary.costTotal.toFixed(4)}`}`,
  );
  for (const r of results.filter((x) => !summary.metrics.some((m) => m.name === x.metric))) {
    if (r.actual === null) lines.push(`FAIL ${r.expr}: no metric "${r.metric}" in this evaluation`);
    else
      lines.push(
        `${r.passed ? 'PASS' : 'FAIL'} ${r.expr}${r.implied ? ' (implied by any threshold; state failed_rate<=x to tolerate failed rows)' : ''}: ${fmt(r.actual)}`,
      );
  }
  return lines.join('\n');
}

/** The closing line of the CLI report. */
export function verdict(gate: GateResult): string {
  if (gate.allRowsFailed) return 'every row failed: the gate does not pass';
  if (gate.results.length === 0) return '';
  const failed = gate.results.filter((r) => !r.passed).length;
  return failed ? `${failed} threshold(s) failed` : 'all thresholds passed';
}

export function progressBar(done: number, total: number, failed: number, concurrency: number, width = 30): string {
  const frac = total ? Math.min(1, done / total) : 1;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${done}/${total} ${(frac * 100).toFixed(0)}%${failed ? ` · ${failed} failed` : ''} · concurrency ${concurrency}`;
}
