/**
 * Storage of durable runs (migration 0010_durable_runs): the run rows with their lease and
 * wake counter, the step journal, and the tasks for people. Every state change that two
 * processes may race on is one conditional UPDATE (`… WHERE status = 'pending'`, `… WHERE
 * wake = ?`), so exactly one of them wins, on SQLite and PostgreSQL alike.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { HumanTask, TaskDecision, TaskKind, TaskStatus } from '../../shared/api/tasks';
import { fromJson, toJson, type Storage } from '../storage/index';

export interface DurableRunsTable {
  id: string;
  flow_id: string;
  flow_name: string;
  source: string;
  flow_snapshot: string;
  inputs: string;
  status: string;
  wake: number;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  outputs: string | null;
  error: string | null;
  deployment_slug: string | null;
  deployment_version: number | null;
  key_id: string | null;
  webhook_url: string | null;
  status_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface RunStepsTable {
  run_id: string;
  path: string;
  entry: string;
  created_at: number;
}

export interface TasksTable {
  id: string;
  run_id: string;
  path: string;
  flow_id: string;
  flow_name: string;
  node_id: string;
  node_flow_id: string;
  item: number | null;
  kind: string;
  message: string;
  fields: string | null;
  tool: string | null;
  status: string;
  on_timeout: string;
  decision: string | null;
  created_at: number;
  deadline: number | null;
  decided_at: number | null;
}

type DurableTables = {
  durable_runs: DurableRunsTable;
  run_steps: RunStepsTable;
  tasks: TasksTable;
  webhook_deliveries: WebhookDeliveriesTable;
};

export interface WebhookDeliveriesTable {
  id: string;
  slug: string;
  url: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

export type DurableStatus = 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';

export interface DurableRun {
  id: string;
  flowId: string;
  flowName: string;
  source: string;
  /** The flow and the flows it calls, frozen when the run started. */
  snapshot: { flow: unknown; closure: unknown[] };
  inputs: Record<string, unknown>;
  status: DurableStatus;
  wake: number;
  attempts: number;
  leaseOwner?: string;
  leaseUntil?: number;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string; nodeId?: string };
  deployment?: {
    slug: string;
    version: number;
    keyId: string | null;
    /** Posted to when the run ends after its call answered 202 (server/durable/webhooks.ts). */
    webhookUrl?: string;
    /** The status URL the caller was given. */
    statusUrl?: string;
  };
  createdAt: number;
  updatedAt: number;
}

export interface NewDurableRun {
  id: string;
  flowId: string;
  flowName: string;
  source: string;
  snapshot: DurableRun['snapshot'];
  inputs: Record<string, unknown>;
  deployment?: DurableRun['deployment'];
  /** The process that starts it holds the lease from the start. */
  leaseOwner: string;
  leaseUntil: number;
}

export interface NewTask {
  runId: string;
  path: string;
  flowId: string;
  flowName: string;
  nodeId: string;
  nodeFlowId: string;
  item?: number;
  kind: TaskKind;
  message: string;
  fields?: Record<string, unknown>;
  tool?: HumanTask['tool'];
  onTimeout: HumanTask['onTimeout'];
  createdAt: number;
  deadline?: number;
}

export function durableDb(storage: Storage): Kysely<DurableTables> {
  return storage.db.withTables<DurableTables>() as unknown as Kysely<DurableTables>;
}

function toRun(row: DurableRunsTable): DurableRun {
  const run: DurableRun = {
    id: row.id,
    flowId: row.flow_id,
    flowName: row.flow_name,
    source: row.source,
    snapshot: fromJson(row.flow_snapshot),
    inputs: fromJson(row.inputs, {}),
    status: row.status as DurableStatus,
    wake: Number(row.wake),
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  if (row.lease_owner !== null) run.leaseOwner = row.lease_owner;
  if (row.lease_until !== null) run.leaseUntil = Number(row.lease_until);
  if (row.outputs !== null) run.outputs = fromJson(row.outputs);
  if (row.error !== null) run.error = fromJson(row.error);
  if (row.deployment_slug !== null)
    run.deployment = {
      slug: row.deployment_slug,
      version: Number(row.deployment_version ?? 0),
      keyId: row.key_id,
      ...(row.webhook_url ? { webhookUrl: row.webhook_url } : {}),
      ...(row.status_url ? { statusUrl: row.status_url } : {}),
    };
  return run;
}

export function toTask(row: TasksTable): HumanTask {
  const t: HumanTask = {
    id: row.id,
    runId: row.run_id,
    flowId: row.flow_id,
    flowName: row.flow_name,
    nodeId: row.node_id,
    nodeFlowId: row.node_flow_id,
    path: row.path,
    kind: row.kind as TaskKind,
    message: row.message,
    status: row.status as TaskStatus,
    onTimeout: row.on_timeout as HumanTask['onTimeout'],
    createdAt: Number(row.created_at),
  };
  if (row.item !== null) t.item = Number(row.item);
  if (row.fields !== null) t.fields = fromJson(row.fields);
  if (row.tool !== null) t.tool = fromJson(row.tool);
  if (row.deadline !== null) t.deadline = Number(row.deadline);
  if (row.decision !== null) t.decision = fromJson(row.decision);
  return t;
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}:${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const i = text.indexOf(':');
  const createdAt = Number(text.slice(0, i));
  return i > 0 && Number.isFinite(createdAt) ? { createdAt, id: text.slice(i + 1) } : undefined;
}

export class DurableStore {
  readonly db: Kysely<DurableTables>;

  constructor(storage: Storage) {
    this.db = durableDb(storage);
  }

  // ---- runs -------------------------------------------------------------------------

  async createRun(run: NewDurableRun): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('durable_runs')
      .values({
        id: run.id,
        flow_id: run.flowId,
        flow_name: run.flowName,
        source: run.source,
        flow_snapshot: toJson(run.snapshot) ?? '{}',
        inputs: toJson(run.inputs) ?? '{}',
        status: 'running',
        wake: 0,
        attempts: 1,
        lease_owner: run.leaseOwner,
        lease_until: run.leaseUntil,
        outputs: null,
        error: null,
        deployment_slug: run.deployment?.slug ?? null,
        deployment_version: run.deployment?.version ?? null,
        key_id: run.deployment?.keyId ?? null,
        webhook_url: run.deployment?.webhookUrl ?? null,
        status_url: run.deployment?.statusUrl ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  async getRun(id: string): Promise<DurableRun | undefined> {
    const row = await this.db.selectFrom('durable_runs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRun(row) : undefined;
  }

  /**
   * Take a waiting run to resume it, or a running one whose lease expired (its process
   * died). One caller wins; the others get undefined.
   */
  async claim(id: string, owner: string, leaseUntil: number, now = Date.now()): Promise<DurableRun | undefined> {
    const res = await this.db
      .updateTable('durable_runs')
      .set((eb) => ({
        status: 'running',
        lease_owner: owner,
        lease_until: leaseUntil,
        attempts: eb('attempts', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'waiting'),
          eb.and([eb('status', '=', 'running'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)])]),
        ]),
      )
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) return undefined;
    return this.getRun(id);
  }

  /** Extend the lease of runs this process runs. */
  async heartbeat(ids: string[], owner: string, leaseUntil: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db
      .updateTable('durable_runs')
      .set({ lease_until: leaseUntil })
      .where('id', 'in', ids)
      .where('lease_owner', '=', owner)
      .where('status', '=', 'running')
      .execute();
  }

  /**
   * The attempt ended waiting: park the run, unless a decision arrived since it was claimed
   * (the wake counter moved), in which case it stays ours and false says "run it again".
   */
  async park(id: string, owner: string, wake: number): Promise<boolean> {
    const res = await this.db
      .updateTable('durable_runs')
      .set({ status: 'waiting', lease_owner: null, lease_until: null, updated_at: Date.now() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .where('wake', '=', wake)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Hand a running run back (shutdown): its lease ends now, so any process may resume it. */
  async release(id: string, owner: string): Promise<void> {
    await this.db
      .updateTable('durable_runs')
      .set({ lease_owner: null, lease_until: 0, updated_at: Date.now() })
      .where('id', '=', id)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /**
   * End the run and cancel its pending tasks. A deployed run with a webhook that did not end
   * in its first attempt (its call answered 202, or its process died) gets its delivery
   * queued in the same transaction, so no ended run loses its webhook to a crash.
   */
  async finishRun(
    id: string,
    status: 'succeeded' | 'failed' | 'cancelled',
    outputs: Record<string, unknown> | undefined,
    error: DurableRun['error'] | undefined,
    afterPause = true,
  ): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('durable_runs')
        .set({
          status,
          outputs: toJson(outputs),
          error: toJson(error),
          lease_owner: null,
          lease_until: null,
          updated_at: now,
        })
        .where('id', '=', id)
        .execute();
      await trx
        .updateTable('tasks')
        .set({ status: 'cancelled', decided_at: now })
        .where('run_id', '=', id)
        .where('status', '=', 'pending')
        .execute();
      const run = await trx
        .selectFrom('durable_runs')
        .select(['deployment_slug', 'webhook_url'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (afterPause && run?.deployment_slug && run.webhook_url)
        await trx
          .insertInto('webhook_deliveries')
          .values({
            id,
            slug: run.deployment_slug,
            url: run.webhook_url,
            status: 'pending',
            attempts: 0,
            next_attempt_at: now,
            last_status: null,
            last_error: null,
            created_at: now,
            updated_at: now,
            delivered_at: null,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .execute();
    });
  }

  /** Bump the wake counter (a decision arrived); returns the run's status. */
  async wake(id: string): Promise<DurableStatus | undefined> {
    await this.db
      .updateTable('durable_runs')
      .set((eb) => ({ wake: eb('wake', '+', 1), updated_at: Date.now() }))
      .where('id', '=', id)
      .execute();
    const row = await this.db.selectFrom('durable_runs').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status as DurableStatus | undefined;
  }

  /** Runs to resume: waiting ones whose wake moved (never mind), running ones with an expired lease. */
  async expiredRunning(now = Date.now(), limit = 100): Promise<string[]> {
    const rows = await this.db
      .selectFrom('durable_runs')
      .select('id')
      .where('status', '=', 'running')
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  // ---- journal ----------------------------------------------------------------------

  async loadSteps(runId: string): Promise<Map<string, unknown>> {
    const rows = await this.db.selectFrom('run_steps').select(['path', 'entry']).where('run_id', '=', runId).execute();
    return new Map(rows.map((r) => [r.path, fromJson<unknown>(r.entry)]));
  }

  async putSteps(runId: string, entries: Array<[string, unknown]>): Promise<void> {
    if (entries.length === 0) return;
    const now = Date.now();
    for (let i = 0; i < entries.length; i += 200) {
      const rows = entries
        .slice(i, i + 200)
        .map(([path, entry]) => ({ run_id: runId, path, entry: toJson(entry) ?? 'null', created_at: now }));
      await this.db
        .insertInto('run_steps')
        .values(rows)
        .onConflict((oc) => oc.columns(['run_id', 'path']).doUpdateSet((eb) => ({ entry: eb.ref('excluded.entry') })))
        .execute();
    }
  }

  // ---- tasks ------------------------------------------------------------------------

  /** Create the task at (run, path) unless it exists; returns the task there. */
  async ensureTask(t: NewTask): Promise<HumanTask> {
    await this.db
      .insertInto('tasks')
      .values({
        id: randomUUID(),
        run_id: t.runId,
        path: t.path,
        flow_id: t.flowId,
        flow_name: t.flowName,
        node_id: t.nodeId,
        node_flow_id: t.nodeFlowId,
        item: t.item ?? null,
        kind: t.kind,
        message: t.message,
        fields: toJson(t.fields),
        tool: toJson(t.tool),
        status: 'pending',
        on_timeout: t.onTimeout,
        decision: null,
        created_at: t.createdAt,
        deadline: t.deadline ?? null,
        decided_at: null,
      })
      .onConflict((oc) => oc.columns(['run_id', 'path']).doNothing())
      .execute();
    const row = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('run_id', '=', t.runId)
      .where('path', '=', t.path)
      .executeTakeFirstOrThrow();
    return toTask(row);
  }

  async getTask(id: string): Promise<HumanTask | undefined> {
    const row = await this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toTask(row) : undefined;
  }

  async tasksOfRun(runId: string, status?: TaskStatus): Promise<HumanTask[]> {
    let q = this.db.selectFrom('tasks').selectAll().where('run_id', '=', runId);
    if (status) q = q.where('status', '=', status);
    const rows = await q.orderBy('created_at').orderBy('path').execute();
    return rows.map(toTask);
  }

  /** Tasks newest first (`status`, `flowId`, `runId` filter), paged by cursor; `limit` 1..500. */
  async listTasks(
    opts: { status?: TaskStatus; flowId?: string; runId?: string; limit?: number; before?: string } = {},
  ): Promise<{ tasks: HumanTask[]; nextCursor?: string }> {
    const limit = Math.min(500, Math.max(1, Math.floor(opts.limit ?? 100)));
    let q = this.db.selectFrom('tasks').selectAll();
    if (opts.status) q = q.where('status', '=', opts.status);
    if (opts.flowId) q = q.where('flow_id', '=', opts.flowId);
    if (opts.runId) q = q.where('run_id', '=', opts.runId);
    const cursor = opts.before ? decodeCursor(opts.before) : undefined;
    if (cursor)
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', cursor.createdAt),
          eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)]),
        ]),
      );
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const tasks = rows.slice(0, limit).map(toTask);
    const last = tasks[tasks.length - 1];
    return rows.length > limit && last ? { tasks, nextCursor: encodeCursor(last.createdAt, last.id) } : { tasks };
  }

  /**
   * Decide a pending task: one conditional UPDATE, so of two concurrent decisions exactly
   * one changes the row. Returns false when the task was no longer pending.
   */
  async decide(id: string, status: 'approved' | 'rejected' | 'timed_out', decision: TaskDecision): Promise<boolean> {
    const res = await this.db
      .updateTable('tasks')
      .set({ status, decision: toJson(decision), decided_at: decision.decidedAt })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  /** Pending tasks whose deadline has passed. */
  async overdue(now = Date.now(), limit = 200): Promise<HumanTask[]> {
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where('status', '=', 'pending')
      .where('deadline', 'is not', null)
      .where('deadline', '<=', now)
      .orderBy('deadline')
      .limit(limit)
      .execute();
    return rows.map(toTask);
  }

  /** Decisions of a run's decided tasks, by path (what a resumed attempt reads). */
  async decisions(runId: string): Promise<Map<string, { status: TaskStatus; decision: TaskDecision }>> {
    const rows = await this.db
      .selectFrom('tasks')
      .select(['path', 'status', 'decision'])
      .where('run_id', '=', runId)
      .where('status', 'in', ['approved', 'rejected', 'timed_out'])
      .execute();
    const out = new Map<string, { status: TaskStatus; decision: TaskDecision }>();
    for (const r of rows)
      if (r.decision !== null) out.set(r.path, { status: r.status as TaskStatus, decision: fromJson(r.decision) });
    return out;
  }
}
