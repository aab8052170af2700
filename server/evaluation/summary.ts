/**
 * Aggregate an evaluation's stored rows into its summary (streams rows page by page).
 * A row that failed (or a boolean metric that could not be computed) is a miss — a 0 —
 * for every boolean metric, so a crashed row counts against its pass rate; numeric
 * metrics have no value to give it and leave it out (`failed_rate` gates those).
 */
import type { EvaluationConfig, EvaluationSummary, MetricAggregate, MetricScore } from '../../shared/api/evaluation';
import { histogram, summarize } from './aggregate';
import { corpusValue, metricKind, metricName, normalizeSpec } from './metrics/index';
import type { EvaluationStore } from './store';

export async function computeSummary(
  store: EvaluationStore,
  id: string,
  config: EvaluationConfig,
): Promise<EvaluationSummary> {
  const specs = config.metrics.map(normalizeSpec);
  const names = specs.map(metricName);
  const kinds = specs.map(metricKind);
  const values = names.map(() => [] as number[]);
  const passed = names.map(() => ({ n: 0, pass: 0 }));
  const bleuScores: MetricScore[][] = names.map(() => []);
  const latencies: number[] = [];
  let tokens = 0;
  let cost: number | null = null;
  let succeeded = 0;
  let failed = 0;
  for await (const page of store.iterateResults(id)) {
    for (const r of page) {
      if (r.status === 'failed') failed++;
      else succeeded++;
      if (r.latencyMs !== null) latencies.push(r.latencyMs);
      tokens += r.totalTokens;
      if (r.cost !== null) cost = (cost ?? 0) + r.cost;
      names.forEach((name, i) => {
        const m = r.metrics[name];
        if (kinds[i] === 'boolean' && m?.passed === undefined) {
          values[i].push(0);
          passed[i].n++;
          return;
        }
        if (!m) return;
        if (m.value !== null && Number.isFinite(m.value)) values[i].push(m.value);
        if (m.passed !== undefined) {
          passed[i].n++;
          if (m.passed) passed[i].pass++;
        }
        if (specs[i].type === 'bleu') bleuScores[i].push(m);
      });
    }
  }
  const metrics: MetricAggregate[] = specs.map((spec, i) => {
    const s = summarize(values[i]);
    const kind = kinds[i];
    return {
      name: names[i],
      kind,
      ...s,
      ...(kind === 'boolean' || passed[i].n > 0 ? { passRate: passed[i].n ? passed[i].pass / passed[i].n : null } : {}),
      ...(spec.type === 'bleu' ? { corpus: corpusValue(spec, bleuScores[i]) } : {}),
      histogram: histogram(values[i]),
    };
  });
  const lat = summarize(latencies);
  return {
    metrics,
    latency: { mean: lat.mean, median: lat.median, p95: lat.p95 },
    tokens,
    costTotal: cost,
    succeeded,
    failed,
  };
}
