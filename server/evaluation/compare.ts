/**
 * Compare two evaluations over the same dataset version: per-metric deltas (b − a)
 * with a paired bootstrap CI over rows both scored, and a per-row diff with filters.
 */
import type { Comparison, ComparisonRow, MetricDelta, RowResult } from '../../shared/api/evaluation';
import { mean, pairedBootstrap } from './aggregate';
import { metricName, normalizeSpec } from './metrics/index';
import type { EvaluationStore } from './store';

export type CompareFilter = 'all' | 'disagree' | 'failed' | 'a_better' | 'b_better';

export class CompareError extends Error {
  constructor(
    readonly code: 'not_found' | 'different_dataset',
    message: string,
  ) {
    super(message);
  }
}

function sameOutputs(a: RowResult | null, b: RowResult | null): boolean {
  return JSON.stringify(a?.outputs ?? null) === JSON.stringify(b?.outputs ?? null);
}

export async function compareEvaluations(
  store: EvaluationStore,
  aId: string,
  bId: string,
  opts: { rows?: boolean; filter?: CompareFilter; metric?: string; offset?: number; limit?: number } = {},
): Promise<Comparison> {
  const [a, b] = await Promise.all([store.get(aId), store.get(bId)]);
  if (!a || !b) throw new CompareError('not_found', `evaluation ${!a ? aId : bId} not found`);
  if (a.datasetVersionId !== b.datasetVersionId) {
    throw new CompareError(
      'different_dataset',
      'the two evaluations ran on different dataset versions; compare evaluations of the same version',
    );
  }
  const bNames = new Set(b.config.metrics.map((s) => metricName(normalizeSpec(s))));
  const names = a.config.metrics.map((s) => metricName(normalizeSpec(s))).filter((n) => bNames.has(n));
  const pairs = names.map(() => ({ a: [] as number[], b: [] as number[], aAll: [] as number[], bAll: [] as number[] }));
  const rows: ComparisonRow[] = [];
  const focus = opts.metric ?? names[0];
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? 200;
  let matched = 0;
  // Both result sets are ordered by row index: merge them page by page.
  const ia = store.iterateResults(aId);
  const ib = store.iterateResults(bId);
  let pa: RowResult[] = [];
  let pb: RowResult[] = [];
  let doneA = false;
  let doneB = false;
  for (;;) {
    if (pa.length === 0 && !doneA) {
      const n = await ia.next();
      if (n.done) doneA = true;
      else pa = n.value;
    }
    if (pb.length === 0 && !doneB) {
      const n = await ib.next();
      if (n.done) doneB = true;
      else pb = n.value;
    }
    if (pa.length === 0 && pb.length === 0) break;
    const ra = pa[0];
    const rb = pb[0];
    let x: RowResult | null = null;
    let y: RowResult | null = null;
    if (ra && rb) {
      if (ra.rowIdx === rb.rowIdx) {
        x = pa.shift() as RowResult;
        y = pb.shift() as RowResult;
      } else if (ra.rowIdx < rb.rowIdx) x = pa.shift() as RowResult;
      else y = pb.shift() as RowResult;
    } else if (ra) x = pa.shift() as RowResult;
    else y = pb.shift() as RowResult;
    names.forEach((n, i) => {
      const va = x?.metrics[n]?.value;
      const vb = y?.metrics[n]?.value;
      if (typeof va === 'number') pairs[i].aAll.push(va);
      if (typeof vb === 'number') pairs[i].bAll.push(vb);
      if (typeof va === 'number' && typeof vb === 'number') {
        pairs[i].a.push(va);
        pairs[i].b.push(vb);
      }
    });
    if (opts.rows) {
      const fa = focus ? x?.metrics[focus]?.value : undefined;
      const fb = focus ? y?.metrics[focus]?.value : undefined;
      const differ = !sameOutputs(x, y);
      const keep =
        !opts.filter || opts.filter === 'all'
          ? true
          : opts.filter === 'failed'
            ? x?.status === 'failed' || y?.status === 'failed' || !x || !y
            : opts.filter === 'disagree'
              ? differ || fa !== fb
              : opts.filter === 'a_better'
                ? typeof fa === 'number' && typeof fb === 'number' && fa > fb
                : typeof fa === 'number' && typeof fb === 'number' && fb > fa;
      if (keep) {
        if (matched >= offset && rows.length < limit)
          rows.push({ rowIdx: (x ?? (y as RowResult)).rowIdx, a: x, b: y, outputsDiffer: differ });
        matched++;
      }
    }
  }
  const metrics: MetricDelta[] = names.map((name, i) => {
    const p = pairedBootstrap(pairs[i].a, pairs[i].b);
    return {
      name,
      a: mean(pairs[i].aAll),
      b: mean(pairs[i].bAll),
      delta: p.delta,
      ci95: p.ci95,
      significant: p.significant,
      pairs: p.pairs,
    };
  });
  return { a: aId, b: bId, datasetVersionId: a.datasetVersionId, metrics, ...(opts.rows ? { rows } : {}) };
}
