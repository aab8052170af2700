/**
 * Runs repository: a row is inserted when a run starts and updated when it finishes;
 * the full trace is stored as JSON. Lists are newest first with an opaque cursor.
 */
import type { RunParent, RunStatus, SpanError, Trace } from '../../shared';
import type { ChildRunPage, RunPage, RunRecord, RunSummary } from '../../shared/api/runs';
import { fromJson, toJson, type Storage } from './index';

/** The stored shapes are the API's (shared/api/runs.ts): the routes send them as they are. */
export type { ChildRunPage, RunPage, RunRecord, RunSummary } from '../../shared/api/runs';

export interface RunStart {
  runId: string;
  flowId: string;
  startedAt: number;
  inputs: Record<string, unknown>;
  source?: string;
  nodeId?: string;
  parent?: RunParent;
}

const SUMMARY_COLUMNS = [
  'id',
  'flow_id',
  'status',
  'source',
  'node_id',
  'started_at',
  'finished_at',
  'duration_ms',
  'error',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cost',
  'parent_run_id',
  'parent_node_id',
  'iteration',
  'root_run_id',
] as const;

type SummaryRow = {
  id: string;
  flow_id: string;
  status: string;
  source: string;
  node_id: string | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  error: string | null;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number | null;
  parent_run_id: string | null;
  parent_node_id: string | null;
  iteration: number | null;
  root_run_id: string | null;
};

function parentColumns(parent: RunParent | undefined) {
  return {
    parent_run_id: parent?.runId ?? null,
    parent_node_id: parent?.nodeId ?? null,
    iteration: parent?.iteration ?? null,
    root_run_id: parent?.rootRunId ?? null,
  };
}

/** The columns a finished run sets (over its start row, or in a new row). */
function finishedColumns(trace: Trace) {
  return {
    status: trace.status,
    finished_at: Math.round(trace.startedAt + trace.durationMs),
    duration_ms: Math.round(trace.durationMs),
    outputs: toJson(trace.outputs),
    error: toJson(trace.error) ?? null,
    prompt_tokens: trace.usage.promptTokens,
    completion_tokens: trace.usage.completionTokens,
    total_tokens: trace.usage.totalTokens,
    cost: trace.usage.cost,
    trace: toJson(trace),
  };
}

function toSummary(row: SummaryRow): RunSummary {
  const s: RunSummary = {
    runId: row.id,
    flowId: row.flow_id,
    status: row.status as RunStatus,
    source: row.source,
    startedAt: Number(row.started_at),
    usage: {
      promptTokens: Number(row.prompt_tokens),
      completionTokens: Number(row.completion_tokens),
      totalTokens: Number(row.total_tokens),
      cost: row.cost === null ? null : Number(row.cost),
    },
  };
  if (row.node_id !== null) s.nodeId = row.node_id;
  if (row.finished_at !== null) s.finishedAt = Number(row.finished_at);
  if (row.duration_ms !== null) s.durationMs = Number(row.duration_ms);
  if (row.error !== null) s.error = fromJson(row.error);
  if (row.parent_run_id !== null) {
    s.parent = { runId: row.parent_run_id, nodeId: row.parent_node_id ?? '', rootRunId: row.root_run_id ?? '' };
    if (row.iteration !== null) s.parent.iteration = Number(row.iteration);
  }
  return s;
}

function encodeCursor(startedAt: number, id: string): string {
  return Buffer.from(`${startedAt}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { startedAt: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const startedAt = Number(text.slice(0, i));
  if (!Number.isFinite(startedAt)) return undefined;
  return { startedAt, id: text.slice(i + 1) };
}

export class RunsRepository {
  constructor(private readonly storage: Storage) {}

  /** Record a run that has just started (status `running`). */
  insertStarted(run: RunStart): Promise<void> {
    return this.insertStartedMany([run]);
  }

  private startRow(run: RunStart) {
    return {
      id: run.runId,
      flow_id: run.flowId,
      status: 'running' as const,
      source: run.source ?? 'api',
      node_id: run.nodeId ?? null,
      started_at: Math.round(run.startedAt),
      finished_at: null,
      duration_ms: null,
      inputs: toJson(run.inputs) ?? '{}',
      outputs: null,
      error: null,
      cost: null,
      trace: null,
      ...parentColumns(run.parent),
    };
  }

  /** Store a finished run's trace (inserts the row when the start was never recorded). */
  async finish(trace: Trace, extra: { source?: string; nodeId?: string } = {}): Promise<void> {
    const values = finishedColumns(trace);
    const res = await this.storage.db.updateTable('runs').set(values).where('id', '=', trace.runId).executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) {
      await this.storage.db
        .insertInto('runs')
        .values({
          id: trace.runId,
          flow_id: trace.flowId,
          source: extra.source ?? 'api',
          node_id: extra.nodeId ?? null,
          started_at: Math.round(trace.startedAt),
          inputs: toJson(trace.inputs) ?? '{}',
          ...parentColumns(trace.parent),
          ...values,
        })
        .execute();
    }
  }

  /**
   * Store finished runs in one multi-row insert (child runs of endpoint calls and
   * evaluation rows, written behind in batches). A run already stored (its `running` start
   * row, or an earlier attempt's) takes the finished state.
   */
  async insertFinished(runs: Array<{ trace: Trace; source: string }>): Promise<void> {
    if (runs.length === 0) return;
    const rows = runs.map(({ trace, source }) => ({
      id: trace.runId,
      flow_id: trace.flowId,
      source,
      node_id: null,
      started_at: Math.round(trace.startedAt),
      inputs: toJson(trace.inputs) ?? '{}',
      ...finishedColumns(trace),
      ...parentColumns(trace.parent),
    }));
    await this.storage.db
      .insertInto('runs')
      .values(rows)
      // Over its `running` start row (or an earlier attempt's, in a durable run).
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          status: eb.ref('excluded.status'),
          finished_at: eb.ref('excluded.finished_at'),
          duration_ms: eb.ref('excluded.duration_ms'),
          outputs: eb.ref('excluded.outputs'),
          error: eb.ref('excluded.error'),
          prompt_tokens: eb.ref('excluded.prompt_tokens'),
          completion_tokens: eb.ref('excluded.completion_tokens'),
          total_tokens: eb.ref('excluded.total_tokens'),
          cost: eb.ref('excluded.cost'),
          trace: eb.ref('excluded.trace'),
        })),
      )
      .execute();
  }

  /** Record started runs in one insert (child runs are batched). */
  async insertStartedMany(runs: RunStart[]): Promise<void> {
    if (runs.length === 0) return;
    await this.storage.db
      .insertInto('runs')
      .values(runs.map((run) => this.startRow(run)))
      // A durable run's later attempt starts the same run (and child runs) again.
      .onConflict((oc) =>
        oc.column('id').doUpdateSet({ status: 'running', finished_at: null, duration_ms: null, error: null }),
      )
      .execute();
  }

  /**
   * Delete the stored child runs of a deployment's calls logged before `olderThan` (run
   * before the request log's own retention deletes those calls).
   */
  async deleteDeploymentChildren(slug: string, olderThan: number): Promise<number> {
    const res = await this.storage.db
      .deleteFrom('runs')
      .where('source', '=', 'deployment')
      .where('root_run_id', 'is not', null)
      .where(({ eb, selectFrom }) =>
        eb(
          'root_run_id',
          'in',
          selectFrom('request_logs' as never)
            .select('id' as never)
            .where('slug' as never, '=', slug as never)
            .where('created_at' as never, '<', olderThan as never),
        ),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  }

  /** Mark runs left `running` by a process that died (called at boot). */
  async markAbandoned(before: number): Promise<number> {
    const res = await this.storage.db
      .updateTable('runs')
      .set({
        status: 'failed',
        error: toJson({ code: 'abandoned', message: 'the server stopped while this run was in progress' }),
      })
      .where('status', '=', 'running')
      .where('started_at', '<', before)
      // Durable runs (and their child runs) are resumed, not abandoned (server/durable).
      .where(({ eb, and, or, selectFrom }) =>
        and([
          eb('id', 'not in', selectFrom('durable_runs' as never).select('id' as never)),
          or([
            eb('root_run_id', 'is', null),
            eb('root_run_id', 'not in', selectFrom('durable_runs' as never).select('id' as never)),
          ]),
        ]),
      )
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }

  /** A waiting run was cancelled (durable runs). */
  async markCancelled(runId: string): Promise<void> {
    await this.setEnded(runId, 'cancelled', { code: 'cancelled', message: 'the run was cancelled while waiting' });
  }

  /** A durable run that could not be resumed. */
  async markFailed(runId: string, error: SpanError): Promise<void> {
    await this.setEnded(runId, 'failed', error);
  }

  private async setEnded(runId: string, status: RunStatus, error: SpanError): Promise<void> {
    await this.storage.db
      .updateTable('runs')
      .set({ status, error: toJson(error) ?? null, finished_at: Date.now() })
      .where('id', '=', runId)
      .execute();
  }

  /** Whether a run record exists (reads its id only: a trace can be megabytes). */
  async exists(runId: string): Promise<boolean> {
    return (
      (await this.storage.db.selectFrom('runs').select('id').where('id', '=', runId).executeTakeFirst()) !== undefined
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const found = await this.getWithTraceJson(runId);
    if (!found) return undefined;
    if (found.traceJson !== undefined) found.run.trace = fromJson(found.traceJson);
    return found.run;
  }

  /**
   * A run with its trace left as the stored JSON text: a route sends it as it is instead of
   * parsing and re-serialising it (a 10,000-item map's trace is megabytes).
   */
  async getWithTraceJson(runId: string): Promise<{ run: RunRecord; traceJson?: string } | undefined> {
    const row = await this.storage.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!row) return undefined;
    const run: RunRecord = { ...toSummary(row), inputs: fromJson(row.inputs, {}) };
    if (row.outputs !== null) run.outputs = fromJson(row.outputs);
    return row.trace !== null ? { run, traceJson: row.trace } : { run };
  }

  /** Runs of a flow, newest first. `limit` is clamped to 1..200 (default 50). */
  async listByFlow(flowId: string, opts: { limit?: number; before?: string } = {}): Promise<RunPage> {
    const limit = Math.min(200, Math.max(1, Math.floor(opts.limit ?? 50)));
    let q = this.storage.db
      .selectFrom('runs')
      .select(SUMMARY_COLUMNS)
      .where('flow_id', '=', flowId)
      .where('parent_run_id', 'is', null);
    const cursor = opts.before ? decodeCursor(opts.before) : undefined;
    if (cursor) {
      q = q.where((eb) =>
        eb.or([
          eb('started_at', '<', cursor.startedAt),
          eb.and([eb('started_at', '=', cursor.startedAt), eb('id', '<', cursor.id)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('started_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit).map(toSummary);
    const last = page[page.length - 1];
    return rows.length > limit && last
      ? { runs: page, nextCursor: encodeCursor(last.startedAt, last.runId) }
      : { runs: page };
  }

  /**
   * A run's child runs (of one node when `nodeId` is given), in item / iteration order,
   * then start time. `limit` is clamped to 1..500 (default 100).
   */
  async listChildren(
    runId: string,
    opts: { nodeId?: string; offset?: number; limit?: number } = {},
  ): Promise<ChildRunPage> {
    const limit = Math.min(500, Math.max(1, Math.floor(opts.limit ?? 100)));
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    let q = this.storage.db.selectFrom('runs').where('parent_run_id', '=', runId);
    if (opts.nodeId !== undefined) q = q.where('parent_node_id', '=', opts.nodeId);
    const [rows, count] = await Promise.all([
      q
        .select(SUMMARY_COLUMNS)
        .orderBy('parent_node_id')
        .orderBy('iteration')
        .orderBy('started_at')
        .orderBy('id')
        .limit(limit)
        .offset(offset)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirst(),
    ]);
    return { runs: rows.map(toSummary), total: Number(count?.n ?? 0), offset, limit };
  }
}
