/**
 * The evaluation gate of a deploy: the chosen evaluation must be of this very flow
 * (same content), completed, and meet every threshold (`exact_match>=0.8`,
 * `latency_p95<=2000`…). A metric's value is its pass rate (boolean metrics), its corpus
 * value (BLEU) or its mean.
 */
import type { Flow } from '../../shared';
import { serializeFlow } from '../../shared/flow/index';
import type { EvaluationInfo } from '../../shared/api/evaluation';

export interface Threshold {
  metric: string;
  op: '>=' | '>' | '<=' | '<' | '=';
  value: number;
}

export function parseThreshold(text: string): Threshold | undefined {
  const m = /^\s*([A-Za-z0-9_.:-]+)\s*(>=|<=|>|<|==?)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return undefined;
  const op = (m[2] === '==' ? '=' : m[2]) as Threshold['op'];
  return { metric: m[1] as string, op, value: Number(m[3]) };
}

/** The value a threshold is checked against, or undefined when the evaluation lacks it. */
export function metricValue(e: EvaluationInfo, metric: string): number | undefined {
  const s = e.summary;
  if (!s) return undefined;
  if (metric === 'latency_p95') return s.latency.p95 ?? undefined;
  if (metric === 'latency_mean') return s.latency.mean ?? undefined;
  if (metric === 'cost') return s.costTotal ?? undefined;
  if (metric === 'tokens') return s.tokens;
  if (metric === 'failed_rate') return s.succeeded + s.failed > 0 ? s.failed / (s.succeeded + s.failed) : undefined;
  const a = s.metrics.find((x) => x.name === metric);
  if (!a) return undefined;
  const v = a.passRate ?? a.corpus ?? a.mean;
  return v === null || v === undefined ? undefined : v;
}

function holds(v: number, t: Threshold): boolean {
  switch (t.op) {
    case '>=':
      return v >= t.value;
    case '>':
      return v > t.value;
    case '<=':
      return v <= t.value;
    case '<':
      return v < t.value;
    case '=':
      return v === t.value;
  }
}

export interface GateProblem {
  code: 'not_completed' | 'other_flow' | 'flow_changed' | 'bad_threshold' | 'missing_metric' | 'threshold_failed';
  message: string;
}

/** Every reason the gate refuses (empty = passes). `snapshot` is the flow the evaluation ran. */
export function checkGate(
  e: EvaluationInfo,
  snapshot: Flow | undefined,
  flow: Flow,
  thresholds: string[],
): GateProblem[] {
  const problems: GateProblem[] = [];
  if (e.status !== 'completed')
    problems.push({ code: 'not_completed', message: `evaluation ${e.id} is ${e.status}, not completed` });
  if (e.flowId !== flow.id)
    problems.push({ code: 'other_flow', message: `evaluation ${e.id} evaluated flow "${e.flowId}", not "${flow.id}"` });
  else if (!snapshot || serializeFlow(snapshot) !== serializeFlow(flow)) {
    problems.push({
      code: 'flow_changed',
      message: `the flow changed since evaluation ${e.id} ran; evaluate this version first`,
    });
  }
  for (const text of thresholds) {
    const t = parseThreshold(text);
    if (!t) {
      problems.push({
        code: 'bad_threshold',
        message: `cannot read threshold "${text}" (expected e.g. exact_match>=0.8)`,
      });
      continue;
    }
    const v = metricValue(e, t.metric);
    if (v === undefined)
      problems.push({ code: 'missing_metric', message: `evaluation ${e.id} has no value for "${t.metric}"` });
    else if (!holds(v, t))
      problems.push({ code: 'threshold_failed', message: `${t.metric} = ${v} does not satisfy ${t.op} ${t.value}` });
  }
  return problems;
}
