/**
 * Metric specs of an evaluation: one zod schema per metric type, strict (an option the
 * metric does not have is refused, never ignored), and `checkMetricSpec`, which turns
 * a client's input into a spec or problems that name the accepted options and values.
 */
import { z } from 'zod';

export const BLEU_TOKENIZERS = ['13a', 'none', 'intl', 'char', 'zh', 'ja'] as const;
export const BLEU_SMOOTHING = ['exp', 'floor', 'add-k', 'none'] as const;
export const ROUGE_TOKENIZERS = ['default', 'char', 'ja'] as const;
export type BleuTokenizer = (typeof BLEU_TOKENIZERS)[number];
export type BleuSmoothing = (typeof BLEU_SMOOTHING)[number];
export type RougeTokenizer = (typeof ROUGE_TOKENIZERS)[number];

const name = z.string().min(1).max(200).optional();
const model = z.string().min(1).max(200).optional();

export const normalizeOptionsSchema = z
  .object({
    trim: z.boolean().optional(),
    ignoreCase: z.boolean().optional(),
    ignorePunctuation: z.boolean().optional(),
    collapseWhitespace: z.boolean().optional(),
    ignoreArticles: z.boolean().optional(),
    squad: z.boolean().optional(),
  })
  .strict();
export type NormalizeOptions = z.output<typeof normalizeOptionsSchema>;

const rouge = (type: 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum') =>
  z.object({ type: z.literal(type), name, tokenizer: z.enum(ROUGE_TOKENIZERS).optional() }).strict();
const ragTriad = (type: 'groundedness' | 'context_relevance' | 'answer_relevance') =>
  z.object({ type: z.literal(type), name, model }).strict();
const plain = <T extends string>(type: T) => z.object({ type: z.literal(type), name }).strict();

export const metricSpecSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('exact_match'), name, normalize: normalizeOptionsSchema.optional() }).strict(),
  z
    .object({ type: z.literal('contains'), name, value: z.string().optional(), ignoreCase: z.boolean().optional() })
    .strict(),
  z
    .object({
      type: z.literal('regex'),
      name,
      pattern: z.string().optional(),
      flags: z
        .string()
        .regex(/^[dgimsuvy]*$/, 'JavaScript regular expression flags (i, m, s, u…)')
        .optional(),
    })
    .strict(),
  plain('json_valid'),
  z.object({ type: z.literal('json_schema'), name, schema: z.record(z.string(), z.unknown()) }).strict(),
  plain('levenshtein'),
  z
    .object({
      type: z.literal('bleu'),
      name,
      tokenize: z.enum(BLEU_TOKENIZERS).optional(),
      smoothMethod: z.enum(BLEU_SMOOTHING).optional(),
      /** For `floor` (default 0.1) and `add-k` (default 1), as sacreBLEU's smooth_value. */
      smoothValue: z.number().finite().min(0).optional(),
      lowercase: z.boolean().optional(),
    })
    .strict(),
  rouge('rouge1'),
  rouge('rouge2'),
  rouge('rougeL'),
  rouge('rougeLsum'),
  z.object({ type: z.literal('embedding_cosine'), name, model }).strict(),
  z
    .object({
      type: z.literal('llm_judge'),
      name,
      rubric: z.string().min(1),
      model,
      scale: z.object({ min: z.number().finite(), max: z.number().finite() }).strict().optional(),
      passAt: z.number().finite().optional(),
    })
    .strict(),
  ragTriad('groundedness'),
  ragTriad('context_relevance'),
  ragTriad('answer_relevance'),
  plain('latency'),
  plain('tokens'),
  plain('cost'),
  z.object({ type: z.literal('evaluator_flow'), name, flow: z.string().min(1) }).strict(),
]);

/** One metric of an evaluation. A bare name string means `{ type: name }`. */
export type MetricSpec = z.output<typeof metricSpecSchema>;
export type MetricType = MetricSpec['type'];

export const METRIC_TYPES: readonly MetricType[] = metricSpecSchema.options.map((o) => o.shape.type.value);

export interface MetricProblem {
  path: string;
  message: string;
}

interface SchemaNode {
  shape?: Record<string, SchemaNode>;
  unwrap?: () => SchemaNode;
}

function valueAt(v: unknown, path: PropertyKey[]): unknown {
  let cur = v;
  for (const k of path)
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<PropertyKey, unknown>)[k] : undefined;
  return cur;
}

/** The option names accepted at `path` inside the spec of `type` (nested objects such as `normalize` too). */
function optionsOf(type: string, path: PropertyKey[]): string[] {
  let node: SchemaNode | undefined = metricSpecSchema.options.find((x) => x.shape.type.value === type) as SchemaNode;
  for (const key of path) {
    while (node?.unwrap && !node.shape) node = node.unwrap();
    node = node?.shape?.[String(key)];
  }
  while (node?.unwrap && !node.shape) node = node.unwrap();
  return Object.keys(node?.shape ?? {}).filter((k) => path.length > 0 || k !== 'type');
}

/**
 * Validate one metric (a spec object or a bare type name). Returns the spec, or every
 * problem with its path (`metrics[2].tokenize`) and the accepted options or values.
 */
export function checkMetricSpec(
  input: unknown,
  path = 'metric',
): { spec: MetricSpec; problems?: undefined } | { spec?: undefined; problems: MetricProblem[] } {
  const raw = typeof input === 'string' ? { type: input } : input;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { problems: [{ path, message: 'must be a metric name or a { "type": … } object' }] };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string' || !(METRIC_TYPES as readonly string[]).includes(type))
    return {
      problems: [
        {
          path: `${path}.type`,
          message: `unknown metric ${JSON.stringify(type ?? null)} (known: ${METRIC_TYPES.join(', ')})`,
        },
      ],
    };
  const r = metricSpecSchema.safeParse(raw);
  const problems: MetricProblem[] = [];
  if (!r.success) {
    for (const issue of r.error.issues) {
      const at = [path, ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys')
        for (const k of issue.keys)
          problems.push({
            path: `${at}.${k}`,
            message: `${[type, ...issue.path].join('.')} has no option "${k}" (options: ${optionsOf(type, issue.path).join(', ')})`,
          });
      else if (issue.code === 'invalid_value')
        problems.push({
          path: at,
          message: `${JSON.stringify(valueAt(raw, issue.path)) ?? 'undefined'} is not accepted (accepted: ${issue.values.map(String).join(', ')})`,
        });
      else problems.push({ path: at, message: issue.message });
    }
    return { problems };
  }
  const spec = r.data;
  if (
    spec.type === 'bleu' &&
    spec.smoothValue !== undefined &&
    spec.smoothMethod !== 'floor' &&
    spec.smoothMethod !== 'add-k'
  )
    problems.push({
      path: `${path}.smoothValue`,
      message: 'smoothValue applies to smoothMethod "floor" (default 0.1) or "add-k" (default 1) only',
    });
  if (spec.type === 'llm_judge' && spec.scale && !(spec.scale.min < spec.scale.max))
    problems.push({ path: `${path}.scale`, message: 'min must be less than max' });
  if (
    spec.type === 'llm_judge' &&
    spec.passAt !== undefined &&
    (spec.passAt < (spec.scale?.min ?? 1) || spec.passAt > (spec.scale?.max ?? 5))
  )
    problems.push({ path: `${path}.passAt`, message: 'must lie within the scale' });
  return problems.length ? { problems } : { spec };
}
