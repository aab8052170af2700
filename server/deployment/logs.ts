/**
 * The request log: one row per endpoint call (inputs, outputs, trace, latency, tokens,
 * cost, status, key label), written in batches off the request path, with feedback,
 * filtered browsing and retention.
 */
import type { Trace } from '../../shared';
import type { LogPage, LogStatus, RequestLogEntry } from '../../shared/api/deployment';
import { fromJson, type Storage } from '../storage/index';
import type { StatRow } from '../monitoring/stats';
import { deployDb, type DeployDb, type RequestLogsTable } from './tables';

export interface LogRecord {
  traceId: string;
  slug: string;
  version: number;
  api: string;
  status: LogStatus;
  httpStatus: number;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: number | null;
  keyId: string | null;
  keyLabel: string | null;
  sessionId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  promptInjection: boolean;
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  trace: Trace | null;
  /** `JSON.stringify(trace)` when the caller already has it (saves a second stringify). */
  traceJson?: string;
  createdAt: number;
}

export interface LogFilter {
  status?: LogStatus | 'error';
  /** negative | positive | any (has feedback) | none */
  feedback?: 'negative' | 'positive' | 'any' | 'none';
  minLatencyMs?: number;
  version?: number;
  limit?: number;
  /** Cursor from a previous page. */
  before?: string;
}

function toEntry(r: RequestLogsTable, withBodies: boolean): RequestLogEntry {
  return {
    traceId: r.id,
    slug: r.slug,
    version: Number(r.version),
    api: r.api,
    status: r.status as LogStatus,
    httpStatus: Number(r.http_status),
    latencyMs: Number(r.latency_ms),
    promptTokens: Number(r.prompt_tokens),
    completionTokens: Number(r.completion_tokens),
    totalTokens: Number(r.total_tokens),
    cost: r.cost === null ? null : Number(r.cost),
    keyLabel: r.key_label,
    sessionId: r.session_id,
    errorCode: r.error_code,
    errorMessage: r.error_message,
    createdAt: Number(r.created_at),
    feedbackScore: r.feedback_score === null ? null : Number(r.feedback_score),
    feedbackComment: r.feedback_comment,
    feedbackSentiment: r.feedback_sentiment === null ? null : Number(r.feedback_sentiment),
    promptInjection: Number(r.prompt_injection) === 1,
    ...(withBodies
      ? {
          inputs: fromJson<Record<string, unknown>>(r.inputs, {}),
          outputs: fromJson<Record<string, unknown> | null>(r.outputs, null),
        }
      : {}),
  };
}

const BATCH_MAX = 200;
/** Traces above this many characters are stored without span inputs/outputs and messages. */
export const MAX_TRACE_CHARS = 512 * 1024;

function traceJson(trace: Trace): string {
  const json = JSON.stringify(trace);
  if (json.length <= MAX_TRACE_CHARS) return json;
  return JSON.stringify({
    ...trace,
    truncated: true,
    spans: trace.spans.map(({ messages: _sent, messagesOmitted: _omitted, ...sp }) => ({
      ...sp,
      inputs: {},
      outputs: {},
    })),
  });
}

/** The trace's stored JSON: `json` (its `JSON.stringify`, when the caller has it) if small enough. */
function storedTrace(trace: Trace, json: string | undefined): string {
  return json !== undefined && json.length <= MAX_TRACE_CHARS ? json : traceJson(trace);
}

/** Column order of the prepared SQLite insert (every column of RequestLogsTable). */
const COLUMNS = [
  'id',
  'slug',
  'version',
  'api',
  'status',
  'http_status',
  'latency_ms',
  'prompt_tokens',
  'completion_tokens',
  'total_tokens',
  'cost',
  'key_id',
  'key_label',
  'session_id',
  'error_code',
  'error_message',
  'prompt_injection',
  'inputs',
  'outputs',
  'trace',
  'created_at',
  'feedback_score',
  'feedback_sentiment',
  'feedback_comment',
  'feedback_at',
] as const satisfies ReadonlyArray<keyof RequestLogsTable>;

type InsertMany = (rows: RequestLogsTable[]) => void;

export class RequestLogStore {
  readonly db: DeployDb;
  private queue: RequestLogsTable[] = [];
  /** SQLite: one prepared single-row insert run for a whole batch in one transaction. */
  private insertMany: InsertMany | undefined;
  private readonly storage: Storage;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly listeners = new Set<(records: LogRecord[]) => void>();

  constructor(
    storage: Storage,
    private readonly opts: { flushMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.db = deployDb(storage);
    this.storage = storage;
  }

  /**
   * Write a batch through the raw SQLite connection: a prepared statement in one
   * transaction costs a fraction of Kysely building, compiling and binding a 100-row insert
   * per batch (its AST, a 2,500-parameter SQL text looked up in the statement cache). False
   * when it cannot be used now (PostgreSQL, a Kysely transaction open on the connection, a
   * statement still stepping): the caller writes through Kysely instead, and a failed
   * transaction has rolled back, so nothing is written twice.
   */
  private writeRaw(batch: RequestLogsTable[]): boolean {
    const sqlite = this.storage.sqlite;
    if (!sqlite?.open || sqlite.inTransaction) return false;
    try {
      if (!this.insertMany) {
        const stmt = sqlite.prepare(
          `insert into request_logs (${COLUMNS.join(', ')}) values (${COLUMNS.map(() => '?').join(', ')})`,
        );
        const row: unknown[] = new Array(COLUMNS.length);
        this.insertMany = sqlite.transaction((rows: RequestLogsTable[]) => {
          for (const r of rows) {
            for (let i = 0; i < COLUMNS.length; i++) row[i] = r[COLUMNS[i] as keyof RequestLogsTable];
            stmt.run(row);
          }
        });
      }
      this.insertMany(batch);
      return true;
    } catch {
      return false;
    }
  }

  /** Queue a record; it is written within `flushMs` (default 50 ms) or when 200 are queued. */
  add(rec: LogRecord): void {
    this.queue.push({
      id: rec.traceId,
      slug: rec.slug,
      version: rec.version,
      api: rec.api,
      status: rec.status,
      http_status: rec.httpStatus,
      latency_ms: rec.latencyMs,
      prompt_tokens: rec.promptTokens,
      completion_tokens: rec.completionTokens,
      total_tokens: rec.totalTokens,
      cost: rec.cost,
      key_id: rec.keyId,
      key_label: rec.keyLabel,
      session_id: rec.sessionId,
      error_code: rec.errorCode,
      error_message: rec.errorMessage ? rec.errorMessage.slice(0, 2000) : null,
      prompt_injection: rec.promptInjection ? 1 : 0,
      inputs: rec.inputs ? JSON.stringify(rec.inputs) : null,
      outputs: rec.outputs ? JSON.stringify(rec.outputs) : null,
      trace: rec.trace ? storedTrace(rec.trace, rec.traceJson) : null,
      created_at: rec.createdAt,
      feedback_score: null,
      feedback_sentiment: null,
      feedback_comment: null,
      feedback_at: null,
    });
    for (const l of this.listeners) l([rec]);
    if (this.queue.length >= BATCH_MAX) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? 50);
  }

  /** Called with every record as it is queued (metrics, alerts). */
  onRecord(fn: (records: LogRecord[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Write everything queued so far. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return this.flushing;
    this.flushing = this.flushing.then(async () => {
      if (this.writeRaw(batch)) return;
      for (let i = 0; i < batch.length; i += 100) {
        try {
          await this.db
            .insertInto('request_logs')
            .values(batch.slice(i, i + 100))
            .execute();
        } catch (err) {
          this.opts.onError?.(err);
        }
      }
    });
    return this.flushing;
  }

  /**
   * A paused call's run ended: its row (written when the call answered 202) takes the
   * outcome and the latency to completion. False when there is no such row.
   */
  async complete(
    slug: string,
    traceId: string,
    patch: Pick<
      LogRecord,
      | 'status'
      | 'latencyMs'
      | 'errorCode'
      | 'errorMessage'
      | 'outputs'
      | 'promptTokens'
      | 'completionTokens'
      | 'totalTokens'
      | 'cost'
    > & { trace?: Trace | null; traceJson?: string },
  ): Promise<boolean> {
    if (this.queue.some((r) => r.id === traceId)) await this.flush();
    await this.flushing;
    const res = await this.db
      .updateTable('request_logs')
      .set({
        status: patch.status,
        latency_ms: patch.latencyMs,
        error_code: patch.errorCode,
        error_message: patch.errorMessage ? patch.errorMessage.slice(0, 2000) : null,
        outputs: patch.outputs ? JSON.stringify(patch.outputs) : null,
        prompt_tokens: patch.promptTokens,
        completion_tokens: patch.completionTokens,
        total_tokens: patch.totalTokens,
        cost: patch.cost,
        ...(patch.trace ? { trace: storedTrace(patch.trace, patch.traceJson) } : {}),
      })
      .where('slug', '=', slug)
      .where('id', '=', traceId)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0;
  }

  async get(
    slug: string,
    traceId: string,
    opts: { trace?: boolean } = {},
  ): Promise<(RequestLogEntry & { trace?: Trace | null }) | undefined> {
    if (this.queue.some((r) => r.id === traceId)) await this.flush();
    const r = await this.db
      .selectFrom('request_logs')
      .selectAll()
      .where('slug', '=', slug)
      .where('id', '=', traceId)
      .executeTakeFirst();
    if (!r) return undefined;
    return { ...toEntry(r, true), ...(opts.trace ? { trace: fromJson<Trace | null>(r.trace, null) } : {}) };
  }

  async list(slug: string, f: LogFilter = {}): Promise<LogPage> {
    await this.flush();
    const limit = Math.min(500, Math.max(1, Math.floor(f.limit ?? 50)));
    let q = this.db.selectFrom('request_logs').selectAll().where('slug', '=', slug);
    if (f.status === 'error') q = q.where('status', 'not in', ['succeeded', 'waiting']);
    else if (f.status) q = q.where('status', '=', f.status);
    if (f.feedback === 'negative') q = q.where('feedback_sentiment', '<', 0.5);
    else if (f.feedback === 'positive') q = q.where('feedback_sentiment', '>', 0.5);
    else if (f.feedback === 'any') q = q.where('feedback_sentiment', 'is not', null);
    else if (f.feedback === 'none') q = q.where('feedback_sentiment', 'is', null);
    if (f.minLatencyMs !== undefined) q = q.where('latency_ms', '>=', f.minLatencyMs);
    if (f.version !== undefined) q = q.where('version', '=', f.version);
    if (f.before) {
      const [at, id] = f.before.split('_');
      const t = Number(at);
      if (Number.isFinite(t) && id)
        q = q.where((eb) => eb.or([eb('created_at', '<', t), eb.and([eb('created_at', '=', t), eb('id', '<', id)])]));
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map((r) => toEntry(r, false));
    const last = rows.length > limit ? items[items.length - 1] : undefined;
    return { items, next: last ? `${last.createdAt}_${last.traceId}` : null };
  }

  /** Record feedback on a logged call; false when the trace is not this deployment's. */
  async feedback(
    slug: string,
    traceId: string,
    fb: { score: number; sentiment: number; comment: string | null },
  ): Promise<boolean> {
    if (this.queue.some((r) => r.id === traceId)) await this.flush();
    else await this.flushing;
    const r = await this.db
      .updateTable('request_logs')
      .set({
        feedback_score: fb.score,
        feedback_sentiment: fb.sentiment,
        feedback_comment: fb.comment,
        feedback_at: Date.now(),
      })
      .where('slug', '=', slug)
      .where('id', '=', traceId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Rows of one deployment in a time window, for stats and alerts. */
  async window(slug: string, from: number, to: number): Promise<StatRow[]> {
    await this.flush();
    const rows = await this.db
      .selectFrom('request_logs')
      .select([
        'status',
        'http_status',
        'latency_ms',
        'total_tokens',
        'cost',
        'created_at',
        'prompt_injection',
        'feedback_sentiment',
      ])
      .where('slug', '=', slug)
      .where('created_at', '>=', from)
      .where('created_at', '<', to)
      .orderBy('created_at', 'asc')
      .limit(200_000)
      .execute();
    return rows;
  }

  /** Delete rows older than `olderThan` for one deployment; returns how many. */
  async prune(slug: string, olderThan: number): Promise<number> {
    const r = await this.db
      .deleteFrom('request_logs')
      .where('slug', '=', slug)
      .where('created_at', '<', olderThan)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
