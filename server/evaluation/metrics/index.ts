/**
 * The metric registry: turns `MetricSpec`s into scorers. Every scorer receives the
 * row, the flow's inputs and outputs, the scored output, the expected value and the
 * trace, and returns a `MetricScore`.
 */
import type { Flow, Trace } from '../../../shared';
import type { MetricScore, MetricSpec, MetricType } from '../../../shared/api/evaluation';
import { METRIC_TYPES, checkMetricSpec, type MetricProblem } from '../../../shared/api/metrics';
import type { Config } from '../../config';
import type { RunOptions, RunResult } from '../../runtime/types';
import { computeBleu, segmentStats, sumStats, type BleuStats } from './bleu';
import { DEFAULT_JUDGE_MODEL, ragTriad, rubricJudge } from './judge';
import { defaultChat, defaultEmbed, type ChatFn, type EmbedFn } from './llm';
import { japaneseTokens } from './japanese';
import { rougeScore, rougeTokenizer } from './rouge';
import {
  asText,
  contains,
  cosine,
  exactMatch,
  jsonSchemaCheck,
  jsonValid,
  levenshteinSimilarity,
  regexMatch,
} from './text';

export type RunFlowFn = (flow: Flow, inputs: Record<string, unknown>, opts: RunOptions) => Promise<RunResult>;

export interface MetricContext {
  row: Record<string, unknown>;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  output: unknown;
  expected: unknown;
  trace?: Trace;
  latencyMs: number;
  signal?: AbortSignal;
}

export interface Metric {
  name: string;
  type: MetricType;
  kind: 'number' | 'boolean';
  /** Needs the expected (reference) column. */
  needsExpected: boolean;
  score(ctx: MetricContext): Promise<MetricScore>;
}

export interface MetricServices {
  config: Config;
  chat?: ChatFn;
  embed?: EmbedFn;
  runFlow?: RunFlowFn;
  /** Resolve an evaluator flow reference (id or path). */
  loadFlow?: (ref: string) => Promise<Flow>;
}

export { METRIC_TYPES };

const NEEDS_EXPECTED = new Set<MetricType>([
  'exact_match',
  'levenshtein',
  'bleu',
  'rouge1',
  'rouge2',
  'rougeL',
  'rougeLsum',
  'embedding_cosine',
]);
const BOOLEAN = new Set<MetricType>(['exact_match', 'contains', 'regex', 'json_valid', 'json_schema']);

/**
 * Validate the metrics a client sent (strict: unknown options and values are refused,
 * with the accepted ones). Problems carry paths like `metrics[1].tokenize`.
 */
export function checkMetricSpecs(input: unknown[]): { specs: MetricSpec[]; problems: MetricProblem[] } {
  const specs: MetricSpec[] = [];
  const problems: MetricProblem[] = [];
  input.forEach((m, i) => {
    const r = checkMetricSpec(m, `metrics[${i}]`);
    if (r.spec) specs.push(r.spec);
    else problems.push(...r.problems);
  });
  return { specs, problems };
}

/** Accept `"exact_match"` or a spec object (already validated when the evaluation was created); reject unknown types. */
export function normalizeSpec(s: MetricSpec | string): MetricSpec {
  const spec = (typeof s === 'string' ? { type: s } : s) as MetricSpec;
  if (!METRIC_TYPES.includes(spec.type))
    throw new Error(`unknown metric "${spec.type}" (known: ${METRIC_TYPES.join(', ')})`);
  if (spec.type === 'llm_judge' && !spec.rubric) throw new Error('llm_judge needs a rubric');
  if (spec.type === 'evaluator_flow' && !spec.flow) throw new Error('evaluator_flow needs a flow');
  if (spec.type === 'json_schema' && (!spec.schema || typeof spec.schema !== 'object'))
    throw new Error('json_schema needs a schema object');
  return spec;
}

export function metricName(spec: MetricSpec): string {
  return (
    spec.name ??
    (spec.type === 'evaluator_flow' ? spec.flow.replace(/^.*\//, '').replace(/\.flow\.json$/, '') : spec.type)
  );
}

export function metricNeedsExpected(spec: MetricSpec): boolean {
  return (
    NEEDS_EXPECTED.has(spec.type) ||
    (spec.type === 'contains' && spec.value === undefined) ||
    (spec.type === 'regex' && spec.pattern === undefined)
  );
}

export function metricKind(spec: MetricSpec): 'number' | 'boolean' {
  return BOOLEAN.has(spec.type) ? 'boolean' : 'number';
}

const bool = (b: boolean, extra: Partial<MetricScore> = {}): MetricScore => ({ value: b ? 1 : 0, passed: b, ...extra });

/** Corpus-level value of a metric over all rows when it differs from the mean (BLEU). */
export function corpusValue(spec: MetricSpec, scores: MetricScore[]): number | null {
  if (spec.type !== 'bleu') return null;
  const stats = scores.map((s) => s.details?.stats as BleuStats | undefined).filter((s): s is BleuStats => !!s);
  if (stats.length === 0) return null;
  return computeBleu(sumStats(stats), { smoothMethod: spec.smoothMethod, smoothValue: spec.smoothValue }).score;
}

/** The references of a row: an array is several (see ../references.ts), anything else one. */
function refs(expected: unknown): string[] {
  return Array.isArray(expected) ? expected.map(asText) : [asText(expected)];
}

/** The Japanese analyzer when the tokenizer needs it (loaded once, on first use). */
const jaFor = async (tokenizer: string | undefined) => (tokenizer === 'ja' ? await japaneseTokens() : undefined);

export function buildMetric(specIn: MetricSpec | string, services: MetricServices): Metric {
  const spec = normalizeSpec(specIn);
  const name = metricName(spec);
  const base = { name, type: spec.type, kind: metricKind(spec), needsExpected: metricNeedsExpected(spec) };
  const chat = () => services.chat ?? defaultChat(services.config);
  const make = (score: (c: MetricContext) => Promise<MetricScore> | MetricScore): Metric => ({
    ...base,
    score: async (c) => score(c),
  });
  switch (spec.type) {
    case 'exact_match':
      return make((c) =>
        bool(
          exactMatch(
            asText(c.output),
            Array.isArray(c.expected) ? refs(c.expected) : asText(c.expected),
            spec.normalize,
          ),
        ),
      );
    case 'contains':
      return make((c) =>
        bool(
          (spec.value !== undefined ? [spec.value] : refs(c.expected)).some((needle) =>
            contains(asText(c.output), needle, { ignoreCase: spec.ignoreCase }),
          ),
        ),
      );
    case 'regex':
      return make((c) =>
        bool(
          (spec.pattern !== undefined ? [spec.pattern] : refs(c.expected)).some((p) =>
            regexMatch(asText(c.output), p, spec.flags),
          ),
        ),
      );
    case 'json_valid':
      return make((c) => bool(typeof c.output === 'string' ? jsonValid(c.output) : c.output !== undefined));
    case 'json_schema':
      return make((c) => {
        const r = jsonSchemaCheck(c.output, spec.schema);
        return bool(r.valid, r.valid ? {} : { reason: r.errors.join('; ') });
      });
    case 'levenshtein':
      return make((c) => ({
        value: Math.max(...refs(c.expected).map((r) => levenshteinSimilarity(asText(c.output), r))),
      }));
    case 'bleu':
      return make(async (c) => {
        const stats = segmentStats(asText(c.output), refs(c.expected), {
          tokenize: spec.tokenize,
          ja: await jaFor(spec.tokenize),
          lowercase: spec.lowercase,
        });
        const s = computeBleu(stats, {
          smoothMethod: spec.smoothMethod,
          smoothValue: spec.smoothValue,
          effectiveOrder: true,
        });
        return { value: s.score, details: { stats } };
      });
    case 'rouge1':
    case 'rouge2':
    case 'rougeL':
    case 'rougeLsum':
      return make(async (c) => {
        const tokenize = rougeTokenizer(spec.tokenizer, await jaFor(spec.tokenizer));
        const best = refs(c.expected)
          .map((r) => rougeScore(r, asText(c.output), spec.type, tokenize))
          .reduce((a, b) => (b.fmeasure > a.fmeasure ? b : a));
        return { value: best.fmeasure, details: { precision: best.precision, recall: best.recall } };
      });
    case 'embedding_cosine': {
      const model = spec.model ?? 'openai:text-embedding-3-small';
      return make(async (c) => {
        const embed = services.embed ?? defaultEmbed(services.config);
        const references = refs(c.expected);
        const [a, ...bs] = await embed([asText(c.output), ...references], { model, signal: c.signal });
        return { value: Math.max(...bs.map((b) => cosine(a, b))), details: { model } };
      });
    }
    case 'llm_judge': {
      const scale = spec.scale ?? { min: 1, max: 5 };
      return make((c) =>
        rubricJudge(chat(), {
          model: spec.model ?? DEFAULT_JUDGE_MODEL,
          rubric: spec.rubric,
          input: c.inputs,
          output: asText(c.output),
          expected: c.expected === undefined ? undefined : refs(c.expected).join('\n'),
          scale,
          passAt: spec.passAt,
          signal: c.signal,
        }),
      );
    }
    case 'groundedness':
    case 'context_relevance':
    case 'answer_relevance':
      return make((c) => {
        const question = asText(Object.values(c.inputs)[0]);
        return ragTriad(chat(), spec.type, {
          model: spec.model ?? DEFAULT_JUDGE_MODEL,
          trace: c.trace,
          question,
          answer: asText(c.output),
          signal: c.signal,
        });
      });
    case 'latency':
      return make((c) => ({ value: c.latencyMs }));
    case 'tokens':
      return make((c) => ({ value: c.trace?.usage.totalTokens ?? 0 }));
    case 'cost':
      return make((c) => ({ value: c.trace?.usage.cost ?? null }));
    case 'evaluator_flow':
      return make(async (c) => evaluatorFlow(spec.flow, c, services));
  }
}

/**
 * Run an evaluator flow: its inputs are filled by name from `row`, `output`,
 * `expected`, `inputs`, `outputs`, then from row columns of the same name. Its first
 * numeric (or boolean) output is the value; every numeric output is kept in details and
 * a string output named `reason` becomes the reason.
 */
async function evaluatorFlow(ref: string, c: MetricContext, services: MetricServices): Promise<MetricScore> {
  if (!services.runFlow || !services.loadFlow) throw new Error('evaluator flows need the runtime');
  const flow = await services.loadFlow(ref);
  const pool: Record<string, unknown> = {
    ...c.row,
    row: c.row,
    output: c.output,
    expected: c.expected,
    inputs: c.inputs,
    outputs: c.outputs,
  };
  const inputs: Record<string, unknown> = {};
  for (const i of flow.inputs) if (Object.hasOwn(pool, i.name)) inputs[i.name] = pool[i.name];
  const res = await services.runFlow(flow, inputs, { services: { config: services.config }, signal: c.signal });
  if (res.status !== 'succeeded')
    return { value: null, error: res.trace.error?.message ?? `evaluator flow ${res.status}` };
  const numbers: Record<string, number> = {};
  for (const [k, v] of Object.entries(res.outputs)) {
    if (typeof v === 'number' && Number.isFinite(v)) numbers[k] = v;
    else if (typeof v === 'boolean') numbers[k] = v ? 1 : 0;
    else if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) numbers[k] = Number(v);
  }
  const first = Object.values(numbers)[0];
  if (first === undefined) return { value: null, error: `evaluator flow ${flow.id} returned no number` };
  const reason = typeof res.outputs.reason === 'string' ? res.outputs.reason : undefined;
  return { value: first, ...(reason ? { reason } : {}), details: { outputs: numbers, runId: res.runId } };
}
