/**
 * A BullMQ worker that runs evaluation rows (`braid worker`). Each job is one row: load
 * the evaluation (cached), skip it when the row is stored already or the evaluation is
 * no longer running, run it with the same `runEvaluationRow` as the in-process runner,
 * and store the result (idempotent per (evaluation, row)) before the job completes.
 *
 * - A worker that dies mid-row leaves its job locked; when the lock expires BullMQ's
 *   stalled-job check (in any other worker) puts the job back, and it runs again. A row
 *   stored just before the death is not stored twice (the job finds it and skips).
 * - A provider 429 pauses the whole queue through BullMQ's rate limiter (Retry-After, else
 *   exponential backoff), halves this worker's concurrency and puts the job back without
 *   spending an attempt (AIMD: concurrency grows back by one per window of successes).
 * - Cancel: the canceller removes the queued jobs and publishes the evaluation id; every
 *   worker aborts that evaluation's rows in flight.
 */
import os from 'node:os';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { EvaluationInfo, RowResult } from '../../shared/api/evaluation';
import type { Flow, Trace } from '../../shared';
import type { Storage } from '../storage/index';
import { AdaptiveLimiter } from './limiter';
import { ROW_QUEUE_NAME, type RowJobData, type RowQueue } from './queue';
import { failedRow, RateLimited, rowContext, runEvaluationRow, type RowContext, type RowDeps } from './row';
import { EvaluationStore } from './store';
import { ResultWriter } from './writer';

export interface RowWorkerOptions extends RowDeps {
  storage: Storage;
  queue: RowQueue;
  /** Rows in flight in this worker (lowered on rate limits, grown back after successes). */
  concurrency: number;
  /** Job lock lifetime: a dead worker's rows run again this long after it died (default 10 s). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled jobs (default 5 s). */
  stalledIntervalMs?: number;
  /**
   * A row still rate limited this long after its first 429 is stored as failed
   * (default 15 minutes); until then it only waits.
   */
  rateLimitGiveUpMs?: number;
  /** Name stored on every job it processes (`processedBy`). */
  name?: string;
}

/** Why a job ends without a stored row; such jobs are dropped, never retried. */
const NOT_RUNNING = 'evaluation not running';
const CANCELLED = 'cancelled';
/** BullMQ asked the job to stop (forced close): the job is retried. */
const INTERRUPTED = 'interrupted';

function isRunning(c: Cached | undefined): boolean {
  return c !== undefined && (c.info.status === 'running' || c.info.status === 'queued');
}

interface Cached {
  info: EvaluationInfo;
  checkedAt: number;
  ctx?: RowContext;
}

export class RowWorker {
  readonly worker: Worker<RowJobData, string>;
  readonly name: string;
  /** Rows this worker stored. */
  stored = 0;
  private readonly store: EvaluationStore;
  private readonly limiter: AdaptiveLimiter;
  private readonly evaluations = new Map<string, Cached>();
  private readonly inflight = new Map<string, Set<AbortController>>();
  /** Per evaluation: rows are inserted in small batches; each job completes once its row is stored. */
  private readonly writers = new Map<string, ResultWriter>();
  private readonly subscriber: Redis;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly opts: RowWorkerOptions) {
    this.store = new EvaluationStore(opts.storage);
    this.limiter = new AdaptiveLimiter(opts.concurrency);
    this.name = opts.name ?? `${os.hostname()}:${process.pid}`;
    const lockDuration = opts.lockDurationMs ?? 10_000;
    this.worker = new Worker<RowJobData, string>(ROW_QUEUE_NAME, (job, _token, signal) => this.process(job, signal), {
      connection: { url: opts.queue.redisUrl, maxRetriesPerRequest: null },
      prefix: opts.queue.prefix,
      name: this.name,
      concurrency: opts.concurrency,
      autorun: false,
      lockDuration,
      stalledInterval: opts.stalledIntervalMs ?? Math.max(1000, Math.floor(lockDuration / 2)),
      maxStalledCount: 3,
      // Manual rate limiting (queue.rateLimit on a 429) needs a limiter; its max is never reached otherwise.
      limiter: { max: 1_000_000_000, duration: 1000 },
    });
    this.worker.on('failed', (job, err) => void this.onFailed(job, err));
    this.worker.on('error', () => undefined);
    this.subscriber = new Redis(opts.queue.redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, evaluationId: string) => this.stop(evaluationId));
    // A cancel whose message was missed (reconnect) still shows up as the stored status.
    this.timer = setInterval(() => void this.recheck().catch(() => undefined), 1000);
    this.timer.unref?.();
  }

  /** Connect and start taking jobs. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.opts.queue.cancelChannel);
    void this.worker.run().catch(() => undefined);
    await this.worker.waitUntilReady();
  }

  /** Finish the rows in flight (or abort them with `force`), then disconnect. */
  async close(force = false): Promise<void> {
    clearInterval(this.timer);
    await this.worker.close(force);
    this.subscriber.disconnect();
  }

  /**
   * Stop taking rows and let the rows in flight finish for up to `graceMs`; then abort
   * them (their jobs go back to the queue, retried by this or another process) and
   * disconnect. Used by API processes, whose shutdown has a deadline.
   */
  async closeWithin(graceMs: number): Promise<void> {
    const timer = setTimeout(() => this.worker.cancelAllJobs(INTERRUPTED), graceMs);
    try {
      await this.close();
    } finally {
      clearTimeout(timer);
    }
  }

  private async evaluation(id: string, maxAgeMs = 1000): Promise<Cached | undefined> {
    const c = this.evaluations.get(id);
    if (c && Date.now() - c.checkedAt < maxAgeMs) return c;
    const info = await this.store.get(id);
    if (!info) {
      this.evaluations.delete(id);
      return undefined;
    }
    const next: Cached = { info, checkedAt: Date.now(), ctx: c?.ctx };
    this.evaluations.set(id, next);
    if (this.evaluations.size > 64) this.evaluations.delete(this.evaluations.keys().next().value as string);
    return next;
  }

  private async context(c: Cached): Promise<RowContext> {
    if (!c.ctx) {
      const flow = (await this.store.flowSnapshot(c.info.id)) as Flow;
      c.ctx = rowContext(flow, c.info.config, this.opts);
    }
    return c.ctx;
  }

  private stop(evaluationId: string): void {
    const c = this.evaluations.get(evaluationId);
    if (c) c.info = { ...c.info, status: 'cancelled' };
    for (const a of this.inflight.get(evaluationId) ?? []) a.abort(new Error(CANCELLED));
  }

  private async recheck(): Promise<void> {
    for (const id of this.inflight.keys()) {
      if (!isRunning(await this.evaluation(id, 0))) this.stop(id);
    }
  }

  private async process(job: Job<RowJobData, string>, signal?: AbortSignal): Promise<string> {
    const { evaluationId: id, rowIdx } = job.data;
    // Registered before anything else, so a cancel message that arrives while this job starts still reaches it.
    const abort = new AbortController();
    const forward = () => abort.abort(new Error(INTERRUPTED));
    signal?.addEventListener('abort', forward, { once: true });
    let set = this.inflight.get(id);
    if (!set) this.inflight.set(id, (set = new Set()));
    set.add(abort);
    try {
      let c = await this.evaluation(id);
      // A cached "not running" (a cancel, then a resume within the second) is confirmed before the job is dropped.
      if (!isRunning(c)) c = await this.evaluation(id, 0);
      if (!c || !isRunning(c)) throw new UnrecoverableError(NOT_RUNNING);
      const row = await this.rowToRun(id, c.info.datasetVersionId, rowIdx);
      if (row === 'stored') return 'already stored';
      const ctx = await this.context(c);
      if (abort.signal.aborted) throw this.stopped(abort.signal);
      const { result, trace } = await runEvaluationRow(ctx, row, abort.signal);
      if (abort.signal.aborted) throw this.stopped(abort.signal);
      await this.put(id, result, trace);
      this.limiter.onSuccess();
      if (this.worker.concurrency !== this.limiter.limit) this.worker.concurrency = this.limiter.limit;
      return 'stored';
    } catch (e) {
      if (abort.signal.aborted) throw this.stopped(abort.signal);
      if (!(e instanceof RateLimited)) throw e;
      return await this.rateLimited(job, e);
    } finally {
      signal?.removeEventListener('abort', forward);
      set.delete(abort);
      if (set.size === 0) this.inflight.delete(id);
    }
  }

  /**
   * A 429: every worker of the queue waits (BullMQ's rate limiter), this worker halves its
   * concurrency, and the job goes back to wait without spending an attempt — until the row
   * has been rate limited for longer than the give-up time; then it is stored as failed.
   */
  private async rateLimited(job: Job<RowJobData, string>, e: RateLimited): Promise<string> {
    const { evaluationId: id, rowIdx } = job.data;
    const limited = (job.data.limited ?? 0) + 1;
    const since = job.data.limitedSince ?? Date.now();
    if (Date.now() - since > (this.opts.rateLimitGiveUpMs ?? 15 * 60_000)) {
      const message = `still rate limited after ${limited} attempts over ${Math.round((Date.now() - since) / 1000)} s`;
      await this.put(id, failedRow(rowIdx, { code: 'rate_limited', message }));
      return 'stored';
    }
    await job.updateData({ ...job.data, limited, limitedSince: since });
    const pause = this.limiter.onRateLimit(e.retryAfterMs);
    this.worker.concurrency = this.limiter.limit;
    await this.opts.queue.queue.rateLimit(Math.max(10, Math.round(pause)));
    throw Worker.RateLimitError();
  }

  /** The dataset row of a job, or 'stored' when its result is stored already (one query). */
  private async rowToRun(
    id: string,
    versionId: string,
    rowIdx: number,
  ): Promise<'stored' | { idx: number; line: number; data: Record<string, unknown> }> {
    const r = await this.store.db
      .selectFrom('dataset_rows as dr')
      .select(['dr.data', 'dr.line'])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('evaluation_results as er')
              .select('er.row_idx')
              .where('er.evaluation_id', '=', id)
              .where('er.row_idx', '=', rowIdx),
          )
          .as('stored'),
      )
      .where('dr.version_id', '=', versionId)
      .where('dr.idx', '=', rowIdx)
      .executeTakeFirst();
    if (!r) {
      if (await this.store.hasResult(id, rowIdx)) return 'stored';
      throw new UnrecoverableError(`row ${rowIdx} is not in the dataset version`);
    }
    if (r.stored === true || Number(r.stored) === 1) return 'stored';
    return { idx: rowIdx, line: Number(r.line), data: JSON.parse(r.data) as Record<string, unknown> };
  }

  /** Store a row (batched with other rows of the evaluation) and count it. */
  private async put(id: string, result: RowResult, trace?: Trace): Promise<void> {
    let w = this.writers.get(id);
    if (!w) {
      w = new ResultWriter(this.store, id, (rows) => (this.stored += rows.length), { maxBatch: 32, maxDelayMs: 10 });
      this.writers.set(id, w);
      if (this.writers.size > 64) this.writers.delete(this.writers.keys().next().value as string);
    }
    try {
      await w.put(result, trace);
    } catch (e) {
      // A writer that met a storage error stays failed: the next row starts a fresh one (this job is retried).
      if (this.writers.get(id) === w) this.writers.delete(id);
      throw e;
    }
  }

  private stopped(signal: AbortSignal): Error {
    const reason = (signal.reason as Error | undefined)?.message;
    return reason === CANCELLED ? new UnrecoverableError(CANCELLED) : new Error(INTERRUPTED);
  }

  /** A job that failed for good (attempts spent, stalled too often): store the row as failed. */
  private async onFailed(job: Job<RowJobData, string> | undefined, err: Error): Promise<void> {
    if (!job || err.message === NOT_RUNNING || err.message === CANCELLED) return;
    const final = err instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    if (!isRunning(await this.evaluation(job.data.evaluationId, 0).catch(() => undefined))) return;
    await this.store
      .putResult(job.data.evaluationId, failedRow(job.data.rowIdx, { code: 'worker_error', message: err.message }))
      .catch(() => undefined);
  }
}
