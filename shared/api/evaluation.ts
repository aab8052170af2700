/**
 * Wire types of the datasets and evaluations API (server/http/routes/{datasets,evaluations}.ts),
 * shared by the server, the CLI and the client.
 */
import { z } from 'zod';
import type { MetricSpec, MetricType } from './metrics';

export type { MetricSpec, MetricType, NormalizeOptions, BleuTokenizer, BleuSmoothing, RougeTokenizer } from './metrics';

export interface BadRowReport {
  line: number;
  message: string;
}

export interface DatasetVersionInfo {
  id: string;
  datasetId: string;
  version: number;
  status: 'importing' | 'ready' | 'failed';
  contentHash: string | null;
  format: 'csv' | 'jsonl' | 'rows';
  source: string;
  filename: string | null;
  rowCount: number;
  badRowCount: number;
  /** The first 100 bad rows. */
  badRows: BadRowReport[];
  columns: string[];
  bytes: number;
  createdAt: number;
}

export interface DatasetInfo {
  id: string;
  name: string;
  description: string | null;
  createdAt: number;
  updatedAt: number;
  latestVersion: DatasetVersionInfo | null;
}

export interface DatasetRowRecord {
  idx: number;
  line: number;
  data: Record<string, unknown>;
}

/** What a client may send for a metric: a spec or just its type. */
export type MetricInput = MetricSpec | MetricType;

export interface MetricScore {
  /** null when the metric could not be computed for this row (see `error`). */
  value: number | null;
  /** Boolean metrics: whether the row passed. */
  passed?: boolean;
  reason?: string;
  error?: string;
  details?: Record<string, unknown>;
}

export interface EvaluationConfig {
  /** flow input name → dataset column */
  mapping: Record<string, string>;
  /** The reference column (default `expected`; optional when no metric needs it). */
  expected?: string;
  /** Which flow output is scored (default: the first declared output). */
  output?: string;
  /**
   * Split a reference cell on this text into several references (e.g. `"|"`). In a CSV
   * dataset a cell holding a JSON array of strings is several references without it.
   */
  referenceSeparator?: string;
  /** The dataset version's format, recorded at creation: CSV cells are converted to the inputs' types. */
  datasetFormat?: 'csv' | 'jsonl' | 'rows';
  metrics: MetricSpec[];
  concurrency: number;
  /** Cap on rows (for a quick smoke run). */
  limit?: number;
}

/** The config a client sends to create an evaluation (defaults are filled in by the server). */
export type EvaluationConfigInput = Partial<Omit<EvaluationConfig, 'metrics'>> & { metrics?: MetricInput[] };

export type EvaluationStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface MetricAggregate {
  name: string;
  kind: 'number' | 'boolean';
  count: number;
  mean: number | null;
  median: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
  /** 95% bootstrap confidence interval of the mean. */
  ci95: [number, number] | null;
  /** Boolean metrics: share of rows that passed. */
  passRate?: number | null;
  /** Corpus-level value when it is not the mean of rows (BLEU). */
  corpus?: number | null;
  /** Histogram over [min, max] for charts. */
  histogram: Array<{ from: number; to: number; count: number }>;
}

export interface EvaluationSummary {
  metrics: MetricAggregate[];
  latency: { mean: number | null; median: number | null; p95: number | null };
  tokens: number;
  /** USD; null when no row had a known price. */
  costTotal: number | null;
  succeeded: number;
  failed: number;
}

export interface EvaluationInfo {
  id: string;
  name: string;
  flowId: string;
  datasetId: string;
  datasetVersionId: string;
  config: EvaluationConfig;
  status: EvaluationStatus;
  total: number;
  done: number;
  failed: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: { code: string; message: string } | null;
  summary: EvaluationSummary | null;
  /**
   * Only in the response that creates the evaluation: CSV cells that do not convert to
   * their input's type, found before any row ran (those rows fail without running).
   */
  cellProblems?: CellProblems;
}

export interface CellProblems {
  /** Rows with at least one bad cell. */
  rows: number;
  /** The first few, in file order. */
  first: Array<{ rowIdx: number; message: string }>;
}

export interface RowResult {
  rowIdx: number;
  status: 'succeeded' | 'failed';
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown> | null;
  expected: unknown;
  metrics: Record<string, MetricScore>;
  runId: string | null;
  latencyMs: number | null;
  totalTokens: number;
  cost: number | null;
  error: { code: string; message: string } | null;
  finishedAt: number;
}

/** Server-sent events of GET /api/evaluations/:id/events. */
export type EvaluationEvent =
  | {
      type: 'progress';
      id: string;
      status: EvaluationStatus;
      total: number;
      done: number;
      failed: number;
      concurrency: number;
    }
  | { type: 'row'; id: string; row: RowResult }
  | { type: 'finished'; id: string; status: EvaluationStatus; summary: EvaluationSummary | null };

export interface MetricDelta {
  name: string;
  a: number | null;
  b: number | null;
  /** b − a over rows both evaluations scored. */
  delta: number | null;
  ci95: [number, number] | null;
  significant: boolean;
  pairs: number;
}

export interface ComparisonRow {
  rowIdx: number;
  a: RowResult | null;
  b: RowResult | null;
  outputsDiffer: boolean;
}

export interface Comparison {
  a: string;
  b: string;
  datasetVersionId: string;
  metrics: MetricDelta[];
  rows?: ComparisonRow[];
}

export interface ReviewInput {
  rowIdx: number;
  kind: 'thumbs' | 'rating' | 'pairwise';
  /** thumbs: 0 | 1; rating: 1..5; pairwise: 1 when this evaluation won, 0 lost, 0.5 tie. */
  value: number;
  otherEvaluationId?: string;
  comment?: string;
  reviewer?: string;
}

/** A name people give a dataset or an evaluation (trimmed; any script, Japanese included). */
const displayName = z
  .string({ error: 'must be a string' })
  .trim()
  .min(1, 'must not be empty')
  .max(200, 'must be at most 200 characters');

/** `PATCH /api/datasets/:id`: rename (names are unique) and/or describe a dataset. */
export const datasetPatchSchema = z
  .object({
    name: displayName.optional(),
    description: z.string().max(2000, 'must be at most 2000 characters').nullable().optional(),
  })
  .strict()
  .refine((b) => b.name !== undefined || b.description !== undefined, {
    message: 'send name and/or description',
  });
export type DatasetPatch = z.input<typeof datasetPatchSchema>;

/** `PATCH /api/evaluations/:id`: rename an evaluation. */
export const evaluationPatchSchema = z.object({ name: displayName }).strict();
export type EvaluationPatch = z.input<typeof evaluationPatchSchema>;

/** `POST /api/datasets/:id/rows`: append rows as a new version. */
export const appendRowsRequestSchema = z.object({
  rows: z.array(z.record(z.string(), z.unknown(), { error: 'each row must be an object' }), {
    error: 'must be an array of row objects',
  }),
  source: z.string().max(200).optional(),
});
export type AppendRowsRequest = z.input<typeof appendRowsRequestSchema>;

/**
 * `POST /api/evaluations`. The config's fields (mapping, metrics, concurrency…) are checked
 * by the evaluation service against the flow and the dataset, with a path per problem.
 */
export const createEvaluationRequestSchema = z
  .object({
    flowId: z.string().min(1).optional(),
    /** A flow id, or a whole flow document (an unsaved flow). */
    flow: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
    datasetId: z.string({ error: 'is required' }).min(1, 'is required'),
    datasetVersionId: z.string().min(1).optional(),
    name: z.string().max(200, 'must be at most 200 characters').optional(),
    config: z.record(z.string(), z.unknown(), {
      error: 'is required: { mapping, expected?, metrics, concurrency }',
    }),
  })
  .refine((b) => b.flowId !== undefined || b.flow !== undefined, {
    message: 'is required (or send the flow itself as flow)',
    path: ['flowId'],
  });
export type CreateEvaluationRequest = z.input<typeof createEvaluationRequestSchema>;

/** `DELETE /api/datasets/:id` answer: what happened to the evaluations that used it. */
export interface DatasetDeleteResult {
  deleted: true;
  /** Evaluations of this dataset: kept, with their results (inputs, outputs, scores). */
  evaluationsKept: number;
}
