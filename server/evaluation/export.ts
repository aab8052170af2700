/**
 * Exports: results as CSV or JSONL (streamed page by page), and pairwise human
 * preferences as JSONL `{ prompt, chosen, rejected }` (the DPO / reward-model format).
 */
import type { MetricScore, RowResult } from '../../shared/api/evaluation';
import { metricName, normalizeSpec } from './metrics/index';
import type { EvaluationStore, ReviewRecord } from './store';

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function primaryOutput(r: RowResult, output?: string): unknown {
  if (!r.outputs) return undefined;
  return output ? (Object.hasOwn(r.outputs, output) ? r.outputs[output] : undefined) : Object.values(r.outputs)[0];
}

/** Latest review of each kind per row, as metrics (`human_thumbs`, `human_rating`, `human_preference`). */
export function reviewMetrics(reviews: ReviewRecord[]): Map<number, Record<string, MetricScore>> {
  const out = new Map<number, Record<string, MetricScore>>();
  for (const rv of reviews) {
    const m = out.get(rv.rowIdx) ?? {};
    m[`human_${rv.kind === 'pairwise' ? 'preference' : rv.kind}`] = {
      value: rv.value,
      ...(rv.kind === 'thumbs' ? { passed: rv.value >= 1 } : {}),
      ...(rv.comment ? { reason: rv.comment } : {}),
      ...(rv.otherEvaluationId ? { details: { against: rv.otherEvaluationId } } : {}),
    };
    out.set(rv.rowIdx, m);
  }
  return out;
}

/** UTF-8 byte order mark: lets spreadsheets (Excel) read a CSV's Japanese text as UTF-8 instead of Shift_JIS. */
export const BOM = '\uFEFF';

/** Results as CSV (one line per row, with a BOM first when `bom`) or JSONL. */
export async function* exportResults(
  store: EvaluationStore,
  id: string,
  format: 'csv' | 'jsonl',
  opts: { bom?: boolean } = {},
): AsyncGenerator<string> {
  const info = await store.get(id);
  if (!info) return;
  if (format === 'csv' && opts.bom) yield BOM;
  const names = info.config.metrics.map((s) => metricName(normalizeSpec(s)));
  const human = reviewMetrics(await store.reviews(id));
  const humanNames = [...new Set([...human.values()].flatMap((m) => Object.keys(m)))];
  if (format === 'csv') {
    yield [
      [
        'row',
        'status',
        'inputs',
        'output',
        'expected',
        ...names,
        ...humanNames,
        'latency_ms',
        'tokens',
        'cost',
        'error',
      ].join(','),
      '\n',
    ].join('');
  }
  for await (const page of store.iterateResults(id)) {
    let chunk = '';
    for (const r of page) {
      const metrics = { ...r.metrics, ...(human.get(r.rowIdx) ?? {}) };
      if (format === 'jsonl') {
        chunk += `${JSON.stringify({ ...r, metrics })}\n`;
      } else {
        chunk += [
          r.rowIdx,
          r.status,
          csvCell(r.inputs),
          csvCell(primaryOutput(r, info.config.output)),
          csvCell(r.expected),
          ...names.map((n) => csvCell(metrics[n]?.value)),
          ...humanNames.map((n) => csvCell(metrics[n]?.value)),
          csvCell(r.latencyMs === null ? '' : Math.round(r.latencyMs * 100) / 100),
          r.totalTokens,
          csvCell(r.cost),
          csvCell(r.error?.message),
        ].join(',');
        chunk += '\n';
      }
    }
    yield chunk;
  }
}

function promptOf(inputs: Record<string, unknown>): string {
  const vals = Object.values(inputs);
  return vals.length === 1 && typeof vals[0] === 'string' ? vals[0] : JSON.stringify(inputs);
}

/**
 * Preference pairs from pairwise reviews of evaluation `a` against `b` (a review on
 * `a` with value 1 means a's output won; 0 means b's; ties are skipped).
 */
export async function* exportPreferences(store: EvaluationStore, a: string, b: string): AsyncGenerator<string> {
  const ea = await store.get(a);
  const eb = await store.get(b);
  if (!ea || !eb) return;
  const reviews = [
    ...(await store.reviews(a, b)),
    ...(await store.reviews(b, a)).map((r) => ({ ...r, value: 1 - r.value })),
  ].filter((r) => r.kind === 'pairwise');
  const latest = new Map<number, ReviewRecord>();
  for (const r of reviews.sort((x, y) => x.createdAt - y.createdAt)) latest.set(r.rowIdx, r);
  for (const [rowIdx, rv] of [...latest].sort((x, y) => x[0] - y[0])) {
    if (rv.value === 0.5) continue;
    const [ra, rb] = await Promise.all([store.result(a, rowIdx), store.result(b, rowIdx)]);
    if (!ra || !rb) continue;
    const oa = primaryOutput(ra, ea.config.output);
    const ob = primaryOutput(rb, eb.config.output);
    const [chosen, rejected] = rv.value > 0.5 ? [oa, ob] : [ob, oa];
    yield `${JSON.stringify({ prompt: promptOf(ra.inputs), chosen, rejected, row: rowIdx, ...(rv.comment ? { comment: rv.comment } : {}) })}\n`;
  }
}
