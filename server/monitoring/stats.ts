/**
 * Per-deployment time series from the request log: requests, errors, latency
 * percentiles, tokens and cost per bucket, plus totals over the window.
 */
import type { DeploymentStats, StatsBucket } from '../../shared/api/deployment';

export interface StatRow {
  status: string;
  latency_ms: number;
  total_tokens: number;
  cost: number | null;
  created_at: number;
  prompt_injection: number;
  feedback_sentiment: number | null;
}

/** Nearest-rank percentile of sorted values. */
export function percentileSorted(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

function summarise(rows: StatRow[]): Omit<StatsBucket, 'at'> {
  const lat = rows.map((r) => Number(r.latency_ms)).sort((a, b) => a - b);
  let errors = 0;
  let tokens = 0;
  let cost = 0;
  for (const r of rows) {
    if (r.status !== 'succeeded' && r.status !== 'cancelled') errors++; // a client that left is not a failure
    tokens += Number(r.total_tokens);
    cost += Number(r.cost ?? 0);
  }
  return {
    requests: rows.length,
    errors,
    p50: percentileSorted(lat, 0.5),
    p95: percentileSorted(lat, 0.95),
    p99: percentileSorted(lat, 0.99),
    tokens,
    cost,
  };
}

export function computeStats(
  slug: string,
  rows: StatRow[],
  from: number,
  to: number,
  bucketMs: number,
): DeploymentStats {
  const n = Math.max(1, Math.ceil((to - from) / bucketMs));
  const groups: StatRow[][] = Array.from({ length: n }, () => []);
  for (const r of rows) {
    const i = Math.floor((Number(r.created_at) - from) / bucketMs);
    if (i >= 0 && i < n) groups[i]?.push(r);
  }
  const buckets = groups.map((g, i) => ({ at: from + i * bucketMs, ...summarise(g) }));
  const all = summarise(rows);
  let feedback = 0;
  let negative = 0;
  let injections = 0;
  for (const r of rows) {
    if (r.feedback_sentiment !== null) {
      feedback++;
      if (Number(r.feedback_sentiment) < 0.5) negative++;
    }
    if (Number(r.prompt_injection) === 1) injections++;
  }
  const minutes = Math.max(1 / 60, (to - from) / 60_000);
  return {
    slug,
    from,
    to,
    bucketMs,
    totals: {
      requests: all.requests,
      errors: all.errors,
      errorRate: all.requests ? all.errors / all.requests : 0,
      p50: all.p50,
      p95: all.p95,
      p99: all.p99,
      tokens: all.tokens,
      cost: all.cost,
      requestsPerMinute: all.requests / minutes,
      feedback,
      negativeFeedback: negative,
      promptInjections: injections,
    },
    buckets,
  };
}
