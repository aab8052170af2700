/**
 * The evaluation gate of a deploy: the chosen evaluation must be of this very flow
 * (same content), completed, and pass the same gate as `braid eval --threshold`
 * (server/evaluation/gate.ts): thresholds such as `exact_match>=0.8` or
 * `latency_p95<=2000`, failed rows counted against them (`failed_rate<=0` implied
 * unless a threshold names `failed_rate`), and never an evaluation whose every row failed.
 */
import type { Flow } from '../../shared';
import { serializeFlow } from '../../shared/flow/index';
import type { EvaluationInfo } from '../../shared/api/evaluation';
import { checkGate as checkThresholds, parseThreshold, type Threshold } from '../evaluation/gate';

export interface GateProblem {
  code:
    | 'not_completed'
    | 'other_flow'
    | 'flow_changed'
    | 'bad_threshold'
    | 'missing_metric'
    | 'threshold_failed'
    | 'all_rows_failed';
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
  const parsed: Threshold[] = [];
  for (const text of thresholds) {
    try {
      parsed.push(parseThreshold(text));
    } catch {
      problems.push({
        code: 'bad_threshold',
        message: `cannot read threshold "${text}" (expected e.g. exact_match>=0.8)`,
      });
    }
  }
  if (!e.summary) {
    if (parsed.length) problems.push({ code: 'missing_metric', message: `evaluation ${e.id} has no summary` });
    return problems;
  }
  const gate = checkThresholds(e.summary, parsed);
  if (gate.allRowsFailed)
    problems.push({
      code: 'all_rows_failed',
      message: `every row of evaluation ${e.id} failed (${e.summary.failed} of ${e.summary.failed})`,
    });
  for (const r of gate.results) {
    if (r.actual === null)
      problems.push({ code: 'missing_metric', message: `evaluation ${e.id} has no value for "${r.metric}"` });
    else if (!r.passed)
      problems.push({
        code: 'threshold_failed',
        message: `${r.metric}${r.stat ? `.${r.stat}` : ''} = ${r.actual} does not satisfy ${r.op} ${r.value}${r.implied ? ' (implied: state failed_rate<=x to tolerate failed rows)' : ''}`,
      });
  }
  return problems;
}
