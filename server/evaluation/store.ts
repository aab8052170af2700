/** Persistence of evaluations, per-row results and reviews (tables in migration 0200). */
import { closureJson, fromSnapshot } from '../flows/snapshot';
import { randomUUID } from 'node:crypto';
import type { Flow, Trace } from '../../shared';
import type {
  EvaluationConfig,
  EvaluationInfo,
  EvaluationStatus,
  EvaluationSummary,
  MetricScore,
  ReviewInput,
  RowResult,
} from '../../shared/api/evaluation';
import { fromJson, toJson, type Storage } from '../storage/index';
import { evalDb, type EvalDb, type EvaluationsTable } from './tables';

type EvalRow = Omit<EvaluationsTable, 'done_rows' | 'failed_rows'> & { done_rows: number; failed_rows: number };

function toInfo(r: EvalRow): EvaluationInfo {
  return {
    id: r.id,
    name: r.name,
    flowId: r.flow_id,
    datasetId: r.dataset_id,
    datasetVersionId: r.dataset_version_id,
    config: fromJson<EvaluationConfig>(r.config),
    status: r.status as EvaluationStatus,
    total: Number(r.total_rows),
    done: Number(r.done_rows),
    failed: Number(r.failed_rows),
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    error: r.error ? fromJson(r.error) : null,
    summary: r.summary ? fromJson<EvaluationSummary>(r.summary) : null,
  };
}

export interface StoredRow extends RowResult {
  trace?: Trace;
}

export type RowFilter = 'all' | 'failed' | 'succeeded';

export interface ReviewRecord extends ReviewInput {
  id: string;
  evaluationId: string;
  createdAt: number;
}

export class EvaluationStore {
  readonly db: EvalDb;
  constructor(storage: Storage) {
    this.db = evalDb(storage);
  }

  async insert(e: {
    name: string;
    flow: Flow;
    datasetId: string;
    datasetVersionId: string;
    config: EvaluationConfig;
    total: number;
  }): Promise<EvaluationInfo> {
    const id = randomUUID();
    await this.db
      .insertInto('evaluations')
      .values({
        id,
        name: e.name,
        flow_id: e.flow.id,
        flow_snapshot: JSON.stringify(e.flow),
        flows_snapshot: closureJson(e.flow),
        dataset_id: e.datasetId,
        dataset_version_id: e.datasetVersionId,
        config: JSON.stringify(e.config),
        status: 'queued',
        total_rows: e.total,
        created_at: Date.now(),
        started_at: null,
        finished_at: null,
        lease_owner: null,
        lease_until: null,
        error: null,
        summary: null,
      })
      .execute();
    return (await this.get(id)) as EvaluationInfo;
  }

  async get(id: string): Promise<EvaluationInfo | undefined> {
    const r = await this.db.selectFrom('evaluations').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toInfo(r as EvalRow) : undefined;
  }

  async flowSnapshot(id: string): Promise<Flow | undefined> {
    const r = await this.db
      .selectFrom('evaluations')
      .select(['flow_snapshot', 'flows_snapshot'])
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? fromSnapshot(r.flow_snapshot, r.flows_snapshot) : undefined;
  }

  async list(opts: { flowId?: string; datasetId?: string; limit?: number } = {}): Promise<EvaluationInfo[]> {
    let q = this.db.selectFrom('evaluations').selectAll();
    if (opts.flowId) q = q.where('flow_id', '=', opts.flowId);
    if (opts.datasetId) q = q.where('dataset_id', '=', opts.datasetId);
    const rows = await q
      .orderBy('created_at', 'desc')
      .limit(Math.min(500, Math.max(1, Math.floor(opts.limit ?? 100))))
      .execute();
    return rows.map((r) => toInfo(r as EvalRow));
  }

  async setStatus(
    id: string,
    status: EvaluationStatus,
    extra: {
      error?: { code: string; message: string } | null;
      summary?: EvaluationSummary;
      started?: boolean;
      finished?: boolean;
    } = {},
  ): Promise<void> {
    await this.db
      .updateTable('evaluations')
      .set({
        status,
        ...(extra.error !== undefined ? { error: toJson(extra.error) } : {}),
        ...(extra.summary ? { summary: JSON.stringify(extra.summary) } : {}),
        ...(extra.started ? { started_at: Date.now(), finished_at: null } : {}),
        ...(extra.finished ? { finished_at: Date.now(), lease_owner: null, lease_until: null } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Finish an evaluation only while `owner` holds its lease and it is still queued or
   * running: of several processes that see the last row land, exactly one finalises.
   */
  async finishOwned(
    id: string,
    owner: string,
    status: EvaluationStatus,
    extra: { error?: { code: string; message: string } | null; summary?: EvaluationSummary } = {},
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('evaluations')
      .set({
        status,
        ...(extra.error !== undefined ? { error: toJson(extra.error) } : {}),
        ...(extra.summary ? { summary: JSON.stringify(extra.summary) } : {}),
        finished_at: Date.now(),
        lease_owner: null,
        lease_until: null,
      })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Note (or clear) a problem on a running evaluation without touching its status. */
  async noteError(id: string, error: { code: string; message: string } | null): Promise<void> {
    await this.db
      .updateTable('evaluations')
      .set({ error: toJson(error ?? undefined) })
      .where('id', '=', id)
      .where('status', '=', 'running')
      .execute();
  }

  /** Whether a row's result is stored. */
  async hasResult(id: string, rowIdx: number): Promise<boolean> {
    const r = await this.db
      .selectFrom('evaluation_results')
      .select('row_idx')
      .where('evaluation_id', '=', id)
      .where('row_idx', '=', rowIdx)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** Take or renew the run lease; false when another live process holds it. */
  async lease(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const r = await this.db
      .updateTable('evaluations')
      .set({ lease_owner: owner, lease_until: now + ttlMs })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '=', owner), eb('lease_until', '<', now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Give up the lease now (graceful shutdown), so the next process resumes at once. */
  async releaseLease(id: string, owner: string): Promise<void> {
    await this.db
      .updateTable('evaluations')
      .set({ lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** Evaluations that should be running but whose owner stopped renewing its lease. */
  async orphaned(): Promise<Array<{ id: string; leaseUntil: number | null }>> {
    const rows = await this.db
      .selectFrom('evaluations')
      .select(['id', 'lease_until'])
      .where('status', 'in', ['queued', 'running'])
      .execute();
    return rows.map((r) => ({ id: r.id, leaseUntil: r.lease_until === null ? null : Number(r.lease_until) }));
  }

  async saveCounts(id: string, done: number, failed: number): Promise<void> {
    await this.db
      .updateTable('evaluations')
      .set({ done_rows: done, failed_rows: failed })
      .where('id', '=', id)
      .execute();
  }

  async countResults(id: string): Promise<{ done: number; failed: number }> {
    const rows = await this.db
      .selectFrom('evaluation_results')
      .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
      .where('evaluation_id', '=', id)
      .groupBy('status')
      .execute();
    let done = 0;
    let failed = 0;
    for (const r of rows) {
      done += Number(r.n);
      if (r.status === 'failed') failed += Number(r.n);
    }
    return { done, failed };
  }

  /** Row indexes already finished (to skip on resume). */
  async doneIndexes(id: string): Promise<Set<number>> {
    const out = new Set<number>();
    let from = -1;
    for (;;) {
      const rows = await this.db
        .selectFrom('evaluation_results')
        .select('row_idx')
        .where('evaluation_id', '=', id)
        .where('row_idx', '>', from)
        .orderBy('row_idx')
        .limit(10_000)
        .execute();
      if (rows.length === 0) return out;
      for (const r of rows) out.add(Number(r.row_idx));
      from = Number(rows[rows.length - 1].row_idx);
    }
  }

  /** Store one finished row (idempotent: a row already stored is kept). */
  async putResult(id: string, r: RowResult, trace?: Trace): Promise<void> {
    await this.putResults(id, [{ result: r, trace }]);
  }

  /** Store finished rows in one statement (idempotent per row). */
  async putResults(id: string, items: Array<{ result: RowResult; trace?: Trace }>): Promise<void> {
    if (items.length === 0) return;
    await this.db
      .insertInto('evaluation_results')
      .values(
        items.map(({ result: r, trace }) => ({
          evaluation_id: id,
          row_idx: r.rowIdx,
          status: r.status,
          inputs: JSON.stringify(r.inputs),
          outputs: toJson(r.outputs ?? undefined),
          expected: toJson(r.expected),
          metrics: JSON.stringify(r.metrics),
          run_id: r.runId,
          trace: toJson(trace),
          latency_ms: r.latencyMs,
          total_tokens: r.totalTokens,
          cost: r.cost,
          error: toJson(r.error ?? undefined),
          finished_at: r.finishedAt,
        })),
      )
      .onConflict((oc) => oc.columns(['evaluation_id', 'row_idx']).doNothing())
      .execute();
  }

  private toRow(r: {
    row_idx: number;
    status: string;
    inputs: string;
    outputs: string | null;
    expected: string | null;
    metrics: string;
    run_id: string | null;
    latency_ms: number | null;
    total_tokens: number;
    cost: number | null;
    error: string | null;
    finished_at: number;
  }): RowResult {
    return {
      rowIdx: Number(r.row_idx),
      status: r.status as RowResult['status'],
      inputs: fromJson(r.inputs, {}),
      outputs: r.outputs === null ? null : fromJson(r.outputs),
      expected: r.expected === null ? undefined : fromJson(r.expected),
      metrics: fromJson<Record<string, MetricScore>>(r.metrics, {}),
      runId: r.run_id,
      latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
      totalTokens: Number(r.total_tokens),
      cost: r.cost === null ? null : Number(r.cost),
      error: r.error === null ? null : fromJson(r.error),
      finishedAt: Number(r.finished_at),
    };
  }

  private static readonly COLS = [
    'row_idx',
    'status',
    'inputs',
    'outputs',
    'expected',
    'metrics',
    'run_id',
    'latency_ms',
    'total_tokens',
    'cost',
    'error',
    'finished_at',
  ] as const;

  async results(id: string, opts: { offset?: number; limit?: number; filter?: RowFilter } = {}): Promise<RowResult[]> {
    let q = this.db.selectFrom('evaluation_results').select(EvaluationStore.COLS).where('evaluation_id', '=', id);
    if (opts.filter === 'failed' || opts.filter === 'succeeded') q = q.where('status', '=', opts.filter);
    const rows = await q
      .orderBy('row_idx')
      .offset(Math.max(0, opts.offset ?? 0))
      .limit(Math.min(5000, Math.max(1, opts.limit ?? 100)))
      .execute();
    return rows.map((r) => this.toRow(r));
  }

  async *iterateResults(id: string, pageSize = 1000): AsyncGenerator<RowResult[]> {
    let from = -1;
    for (;;) {
      const rows = await this.db
        .selectFrom('evaluation_results')
        .select(EvaluationStore.COLS)
        .where('evaluation_id', '=', id)
        .where('row_idx', '>', from)
        .orderBy('row_idx')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) return;
      from = Number(rows[rows.length - 1].row_idx);
      yield rows.map((r) => this.toRow(r));
    }
  }

  async result(id: string, rowIdx: number): Promise<StoredRow | undefined> {
    const r = await this.db
      .selectFrom('evaluation_results')
      .select([...EvaluationStore.COLS, 'trace'])
      .where('evaluation_id', '=', id)
      .where('row_idx', '=', rowIdx)
      .executeTakeFirst();
    if (!r) return undefined;
    return { ...this.toRow(r), ...(r.trace ? { trace: fromJson<Trace>(r.trace) } : {}) };
  }

  /** Rename an evaluation; false when there is none with this id. */
  async rename(id: string, name: string): Promise<boolean> {
    const r = await this.db.updateTable('evaluations').set({ name }).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Delete an evaluation with its rows and reviews. */
  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('evaluation_results').where('evaluation_id', '=', id).execute();
    await this.db.deleteFrom('evaluation_reviews').where('evaluation_id', '=', id).execute();
    const r = await this.db.deleteFrom('evaluations').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async addReview(evaluationId: string, input: ReviewInput): Promise<ReviewRecord> {
    const rec: ReviewRecord = { ...input, id: randomUUID(), evaluationId, createdAt: Date.now() };
    await this.db
      .insertInto('evaluation_reviews')
      .values({
        id: rec.id,
        evaluation_id: evaluationId,
        row_idx: input.rowIdx,
        kind: input.kind,
        value: input.value,
        other_evaluation_id: input.otherEvaluationId ?? null,
        comment: input.comment ?? null,
        reviewer: input.reviewer ?? null,
        created_at: rec.createdAt,
      })
      .execute();
    return rec;
  }

  async reviews(evaluationId: string, otherEvaluationId?: string): Promise<ReviewRecord[]> {
    let q = this.db.selectFrom('evaluation_reviews').selectAll().where('evaluation_id', '=', evaluationId);
    if (otherEvaluationId) q = q.where('other_evaluation_id', '=', otherEvaluationId);
    const rows = await q.orderBy('created_at').execute();
    return rows.map((r) => ({
      id: r.id,
      evaluationId: r.evaluation_id,
      rowIdx: Number(r.row_idx),
      kind: r.kind as ReviewInput['kind'],
      value: Number(r.value),
      ...(r.other_evaluation_id ? { otherEvaluationId: r.other_evaluation_id } : {}),
      ...(r.comment ? { comment: r.comment } : {}),
      ...(r.reviewer ? { reviewer: r.reviewer } : {}),
      createdAt: Number(r.created_at),
    }));
  }
}
