/**
 * The evaluation gate — one rule for `braid eval --threshold` and for the deploy gate
 * (`gate.thresholds`):
 *
 * - A threshold (`exact_match>=0.8`, `latency.p95<=2000`, `bleu>=25`, `failed_rate<=0.05`)
 *   compares a metric's headline number: the pass rate for boolean metrics (a failed row
 *   is a miss), corpus BLEU for `bleu`, otherwise the mean; or a named statistic.
 * - `failed_rate` (failed rows ÷ all rows) is a metric every gate can name. When any
 *   threshold is given and none names `failed_rate`, `failed_rate<=0` is implied: one
 *   crashed row fails the gate unless the gate says how many it tolerates.
 * - An evaluation in which every row failed never passes, whatever the thresholds.
 */
import type { EvaluationSummary, MetricAggregate } from '../../shared/api/evaluation';

export const STATS = ['mean', 'median', 'p95', 'min', 'max', 'passRate', 'corpus'] as const;
export type GateStat = (typeof STATS)[number];
export type GateOp = '>=' | '>' | '<=' | '<' | '==';

export const FAILED_RATE = 'failed_rate';

export interface Threshold {
  expr: string;
  metric: string;
  stat?: GateStat;
  op: GateOp;
  value: number;
  /** Added by the gate (`failed_rate<=0`), not written by the user. */
  implied?: boolean;
}

export interface ThresholdResult extends Threshold {
  actual: number | null;
  passed: boolean;
}

export interface GateResult {
  passed: boolean;
  /** Every row of the evaluation failed (never passes). */
  allRowsFailed: boolean;
  results: ThresholdResult[];
}

export class ThresholdSyntaxError extends Error {
  readonly code = 'bad_threshold';
}

const RE = /^\s*([A-Za-z0-9_:-]+)(?:\.([A-Za-z0-9]+))?\s*(>=|<=|==|=|>|<)\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$/;

/** Parse `metric[.stat]<op><number>`; throws ThresholdSyntaxError with a hint. */
export function parseThreshold(expr: string): Threshold {
  const m = RE.exec(expr);
  if (!m)
    throw new ThresholdSyntaxError(
      `bad threshold "${expr}": write <metric>[.<stat>]<op><number>, e.g. "exact_match>=0.8" or "latency.p95<=2000"`,
    );
  if (m[2] && !(STATS as readonly string[]).includes(m[2]))
    throw new ThresholdSyntaxError(`bad threshold "${expr}": unknown statistic "${m[2]}" (use ${STATS.join(', ')})`);
  return {
    expr: expr.trim(),
    metric: m[1],
    ...(m[2] ? { stat: m[2] as GateStat } : {}),
    op: (m[3] === '=' ? '==' : m[3]) as GateOp,
    value: Number(m[4]),
  };
}

/** The number a threshold compares: the named statistic, else the pass rate (boolean), corpus value (BLEU) or mean. */
export function headline(agg: MetricAggregate, stat?: GateStat): number | null {
  if (stat) return (agg[stat] as number | null | undefined) ?? null;
  if (agg.kind === 'boolean' && agg.passRate !== undefined) return agg.passRate;
  if (agg.corpus !== undefined && agg.corpus !== null) return agg.corpus;
  return agg.mean;
}

/** Failed rows ÷ all stored rows (null when no row ran). */
export function failedRate(summary: EvaluationSummary): number | null {
  const n = summary.succeeded + summary.failed;
  return n > 0 ? summary.failed / n : null;
}

/**
 * The value a threshold is checked against, or null when the evaluation lacks it. A
 * metric of the evaluation wins over the built-in names (`failed_rate`, `latency`,
 * `latency_p95`, `latency_mean`, `tokens`, `cost` = total cost).
 */
export function thresholdValue(summary: EvaluationSummary, t: Pick<Threshold, 'metric' | 'stat'>): number | null {
  if (t.metric === FAILED_RATE) return failedRate(summary);
  const agg = summary.metrics.find((m) => m.name === t.metric);
  if (agg) return headline(agg, t.stat);
  switch (t.metric) {
    case 'latency':
      if (t.stat === 'median' || t.stat === 'p95') return summary.latency[t.stat];
      return t.stat === undefined || t.stat === 'mean' ? summary.latency.mean : null;
    case 'latency_p95':
      return summary.latency.p95;
    case 'latency_mean':
      return summary.latency.mean;
    case 'tokens':
      return summary.tokens;
    case 'cost':
      return summary.costTotal;
    default:
      return null;
  }
}

function holds(actual: number, t: Threshold): boolean {
  switch (t.op) {
    case '>=':
      return actual >= t.value;
    case '>':
      return actual > t.value;
    case '<=':
      return actual <= t.value;
    case '<':
      return actual < t.value;
    case '==':
      return actual === t.value;
  }
}

/** The thresholds the gate checks: the given ones, plus `failed_rate<=0` unless one names failed_rate. */
export function withImplied(thresholds: Threshold[]): Threshold[] {
  if (thresholds.length === 0 || thresholds.some((t) => t.metric === FAILED_RATE)) return thresholds;
  return [...thresholds, { expr: `${FAILED_RATE}<=0`, metric: FAILED_RATE, op: '<=', value: 0, implied: true }];
}

/** Check the thresholds (with the implied failed_rate) against a summary. */
export function checkGate(summary: EvaluationSummary, thresholds: Threshold[]): GateResult {
  const results = withImplied(thresholds).map((t) => {
    const actual = thresholdValue(summary, t);
    return { ...t, actual, passed: actual !== null && holds(actual, t) };
  });
  const allRowsFailed = summary.succeeded === 0 && summary.failed > 0;
  return { passed: !allRowsFailed && results.every((r) => r.passed), allRowsFailed, results };
}
