/**
 * Per-deployment time series from the request log: requests, errors, latency
 * percentiles, tokens and cost per bucket, plus totals over the window.
 *
 * Errors are split by who caused them: server errors (5xx: the flow failed or timed out)
 * make the error rate that alerts fire on; client errors (4xx: bad inputs, bad keys, rate
 * limited) are counted apart, so a caller sending junk does not look like an outage. A
 * client that hung up (499, `cancelled`) is neither.
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
  /** The status code answered (absent: classified by `status`). */
  http_status?: number;
}

/** Who caused a logged call to fail: the server (5xx), the client (4xx), or nobody. */
export function errorClass(r: Pick<StatRow, 'status' | 'http_status'>): 'server' | 'client' | undefined {
  if (r.status === 'succeeded' || r.status === 'cancelled' || r.status === 'waiting') return undefined;
  const code = r.http_status === undefined || r.http_status === null ? NaN : Number(r.http_status);
  if (code === 499) return undefined;
  if (code >= 400 && code < 500) return 'client';
  if (code >= 500) return 'server';
  return r.status === 'rejected' ? 'client' : 'server';
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
  let clientErrors = 0;
  let tokens = 0;
  let cost = 0;
  for (const r of rows) {
    const cls = errorClass(r);
    if (cls === 'server') errors++;
    else if (cls === 'client') clientErrors++;
    tokens += Number(r.total_tokens);
    cost += Number(r.cost ?? 0);
  }
  return {
    requests: rows.length,
    errors,
    clientErrors,
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
      clientErrors: all.clientErrors,
      clientErrorRate: all.requests ? all.clientErrors / all.requests : 0,
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
