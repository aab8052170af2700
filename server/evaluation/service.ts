/**
 * Evaluation use cases: create (snapshot the flow, check the mapping), run in the
 * background with adaptive concurrency, store each row as it completes, report
 * progress to subscribers, cancel, and resume after a crash (a run's lease expires
 * when its process dies; any process then takes it over and skips stored rows).
 */
import { hasClosure } from '../runtime/closure';
import { EventEmitter, setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Flow } from '../../shared';
import { assertValidFlow } from '../../shared/flow/index';
import type { EvaluationConfigInput, EvaluationEvent, EvaluationInfo } from '../../shared/api/evaluation';
import type { Config } from '../config';
import type { RunServices } from '../runtime/types';
import { DatasetStore } from '../datasets/store';
import type { Storage } from '../storage/index';
import { AdaptiveLimiter } from './limiter';
import { checkCells, hasTypedCells } from './cells';
import { checkMapping } from './mapping';
import type { RunFlowFn } from './metrics/index';
import type { ChatFn, EmbedFn } from './metrics/llm';
import { EvaluationStore } from './store';
import { RateLimited, rowContext, runEvaluationRow } from './row';
import { ResultWriter } from './writer';
import { computeSummary } from './summary';
import { cancelQueuedRows, coordinate } from './distributed';
import type { RowQueue } from './queue';

export interface EvaluationServiceOptions {
  storage: Storage;
  config: Config;
  /** What executors get (knowledge search…); default `{ config }`. */
  runServices?: RunServices;
  runFlow: RunFlowFn;
  loadFlow: (ref: string) => Promise<Flow>;
  chat?: ChatFn;
  embed?: EmbedFn;
  /** Lease length; a run whose owner stops renewing for this long is taken over. */
  leaseMs?: number;
  /** Rate-limited attempts per row before it is recorded as failed. */
  maxRateLimitRetries?: number;
  /**
   * Scale-out (REDIS_URL): rows become BullMQ jobs for `braid worker` processes; this
   * process only enqueues, watches and finalises (server/evaluation/distributed.ts).
   */
  rowQueue?: RowQueue | Promise<RowQueue>;
  /** Scale-out: how often stored rows are counted, and when missing rows are enqueued again. */
  coordinator?: { pollMs?: number; requeueAfterMs?: number };
}

export class EvaluationNotFound extends Error {
  readonly code = 'not_found';
}

interface Active {
  abort: AbortController;
  limiter: AdaptiveLimiter;
  done: Promise<void>;
  heartbeat?: NodeJS.Timeout;
  /** Live counts (the stored ones are refreshed by the heartbeat). */
  counts?: { done: number; failed: number };
}

export class EvaluationService {
  readonly store: EvaluationStore;
  readonly datasets: DatasetStore;
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private readonly events = new EventEmitter();
  private readonly active = new Map<string, Active>();
  private readonly leaseMs: number;
  private resumeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: EvaluationServiceOptions) {
    this.store = new EvaluationStore(opts.storage);
    this.datasets = new DatasetStore(opts.storage);
    this.leaseMs = opts.leaseMs ?? 5000;
    this.events.setMaxListeners(0);
  }

  /** Create an evaluation (checked before any row runs) and start it in the background. */
  async create(req: {
    flow: string | Flow;
    datasetId: string;
    datasetVersionId?: string;
    name?: string;
    config: EvaluationConfigInput;
    start?: boolean;
  }): Promise<EvaluationInfo> {
    // A flow object sent by a client is validated like a saved one (FlowValidationError lists every problem);
    // one the flow loader produced (the CLI's) is already valid, with the flows it calls attached.
    const flow =
      typeof req.flow === 'string'
        ? await this.opts.loadFlow(req.flow)
        : hasClosure(req.flow)
          ? req.flow
          : assertValidFlow(req.flow);
    const dataset = await this.datasets.get(req.datasetId);
    if (!dataset) throw new EvaluationNotFound(`dataset ${req.datasetId} not found`);
    const version = req.datasetVersionId ? await this.datasets.getVersion(req.datasetVersionId) : dataset.latestVersion;
    if (!version || version.datasetId !== dataset.id)
      throw new EvaluationNotFound(`dataset version ${req.datasetVersionId ?? '(latest)'} not found`);
    const config = checkMapping(flow, version, req.config);
    // Evaluator flows are resolved now, so a missing one fails before any row runs.
    for (const m of config.metrics) if (m.type === 'evaluator_flow') await this.opts.loadFlow(m.flow);
    // The pre-run check of typed CSV cells: the rows it finds fail without running, and the caller hears of them now.
    const cellProblems = hasTypedCells(flow, config)
      ? await checkCells(flow, config, this.datasets.iterateRows(version.id))
      : undefined;
    const total = config.limit ? Math.min(config.limit, version.rowCount) : version.rowCount;
    const info = await this.store.insert({
      name: req.name ?? `${flow.id} on ${dataset.name} v${version.version}`,
      flow,
      datasetId: dataset.id,
      datasetVersionId: version.id,
      config,
      total,
    });
    if (req.start !== false) await this.start(info.id);
    const created = (await this.store.get(info.id)) as EvaluationInfo;
    return cellProblems?.rows ? { ...created, cellProblems } : created;
  }

  /** The evaluation, with live row counts when it runs in this process. */
  async get(id: string): Promise<EvaluationInfo | undefined> {
    const info = await this.store.get(id);
    const live = this.active.get(id)?.counts;
    return info && live ? { ...info, done: live.done, failed: live.failed } : info;
  }

  /** Listen to one evaluation's events; returns the unsubscribe function. */
  subscribe(id: string, fn: (e: EvaluationEvent) => void): () => void {
    this.events.on(id, fn);
    return () => this.events.off(id, fn);
  }

  /** Resolves when the evaluation stops running here (finished, failed or cancelled). */
  async wait(id: string): Promise<EvaluationInfo> {
    await this.active.get(id)?.done;
    return (await this.store.get(id)) as EvaluationInfo;
  }

  currentConcurrency(id: string): number | undefined {
    return this.active.get(id)?.limiter.limit;
  }

  /** Start (or continue) an evaluation in this process. Returns false when another process holds it. */
  async start(id: string): Promise<boolean> {
    if (this.active.has(id)) return true;
    const info = await this.store.get(id);
    if (!info) throw new EvaluationNotFound(`evaluation ${id} not found`);
    if (info.status === 'completed') return false;
    if (!(await this.store.lease(id, this.owner, this.leaseMs))) return false;
    const abort = new AbortController();
    setMaxListeners(0, abort.signal);
    const limiter = new AdaptiveLimiter(info.config.concurrency);
    const entry: Active = { abort, limiter, done: Promise.resolve() };
    this.active.set(id, entry);
    const run = (async () => {
      const q = await this.rowQueue();
      if (!q) return this.execute(info, abort, limiter);
      return coordinate({
        info,
        store: this.store,
        queue: q,
        owner: this.owner,
        leaseMs: this.leaseMs,
        abort,
        limiter,
        onCounts: (counts) => (entry.counts = counts),
        emit: (e) => this.emit(id, e),
        pollMs: Math.min(this.opts.coordinator?.pollMs ?? 500, Math.floor(this.leaseMs / 3)),
        requeueAfterMs: this.opts.coordinator?.requeueAfterMs,
      });
    })();
    entry.done = run
      .catch(async (e: unknown) => {
        // A fault outside any row (storage down, snapshot unreadable): fail the evaluation, never crash the process.
        await this.store
          .setStatus(id, 'failed', {
            error: { code: 'evaluation_error', message: (e as Error)?.message ?? String(e) },
            finished: true,
          })
          .catch(() => undefined);
        this.emit(id, { type: 'finished', id, status: 'failed', summary: null });
      })
      .finally(() => {
        clearInterval(entry.heartbeat);
        this.active.delete(id);
      });
    return true;
  }

  async cancel(id: string): Promise<EvaluationInfo> {
    const info = await this.store.get(id);
    if (!info) throw new EvaluationNotFound(`evaluation ${id} not found`);
    const a = this.active.get(id);
    if (a) {
      a.abort.abort(new Error('cancelled'));
      await a.done;
    } else if (info.status === 'queued' || info.status === 'running') {
      await this.store.setStatus(id, 'cancelled', { finished: true });
      // Scale-out: drop its queued rows and stop workers now (its coordinator, if any, also sees the status).
      const q = await this.rowQueue();
      if (q) await cancelQueuedRows(this.store, q, info);
    }
    return (await this.store.get(id)) as EvaluationInfo;
  }

  /**
   * Take over evaluations left queued/running by a process that died; keeps polling so
   * a lease that is still valid now is taken when it expires.
   */
  async resumeOrphans(pollMs = 1000): Promise<string[]> {
    const started: string[] = [];
    for (const o of await this.store.orphaned()) {
      if (this.active.has(o.id)) continue;
      if (o.leaseUntil === null || o.leaseUntil < Date.now()) if (await this.start(o.id)) started.push(o.id);
    }
    if (!this.closed && pollMs > 0 && !this.resumeTimer) {
      this.resumeTimer = setInterval(() => void this.resumeOrphans(0).catch(() => undefined), pollMs);
      this.resumeTimer.unref?.();
    }
    return started;
  }

  /** Stop every run of this process (they stay resumable) and stop polling. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    const runs = [...this.active.values()];
    for (const a of runs) a.abort.abort(new Error('shutdown'));
    await Promise.all(runs.map((a) => a.done));
  }

  /** The scale-out queue, when configured (a queue that failed to open fails the run that needs it). */
  private async rowQueue(): Promise<RowQueue | undefined> {
    return this.opts.rowQueue;
  }

  private emit(id: string, e: EvaluationEvent): void {
    this.events.emit(id, e);
  }

  private async execute(info: EvaluationInfo, abort: AbortController, limiter: AdaptiveLimiter): Promise<void> {
    const id = info.id;
    const flow = (await this.store.flowSnapshot(id)) as Flow;
    const rows = rowContext(flow, info.config, this.opts);
    const doneSet = await this.store.doneIndexes(id);
    let { done, failed } = await this.store.countResults(id);
    await this.store.setStatus(id, 'running', { started: info.startedAt === null, error: null });
    const heartbeat = setInterval(
      () => {
        void this.store
          .lease(id, this.owner, this.leaseMs)
          .then((ok) => {
            if (!ok) abort.abort(new Error('lease lost'));
          })
          .catch(() => undefined);
        // A cancel issued through another process (shared database) shows up as the status.
        void this.store
          .get(id)
          .then((cur) => {
            if (cur?.status === 'cancelled' && !abort.signal.aborted) abort.abort(new Error('cancelled'));
          })
          .catch(() => undefined);
        void this.store.saveCounts(id, done, failed).catch(() => undefined);
      },
      Math.max(200, Math.floor(this.leaseMs / 3)),
    );
    const entry = this.active.get(id);
    if (entry) entry.heartbeat = heartbeat;
    let lastProgress = 0;
    const progress = (force = false) => {
      const now = Date.now();
      if (!force && now - lastProgress < 200) return;
      lastProgress = now;
      this.emit(id, {
        type: 'progress',
        id,
        status: 'running',
        total: info.total,
        done,
        failed,
        concurrency: limiter.limit,
      });
    };
    progress(true);
    const inflight = new Set<Promise<void>>();
    let fatal: Error | undefined;
    const writer = new ResultWriter(this.store, id, (rows) => {
      for (const result of rows) {
        done++;
        if (result.status === 'failed') failed++;
        this.emit(id, { type: 'row', id, row: result });
      }
      if (entry) entry.counts = { done, failed };
      progress();
    });
    const runOne = async (row: { idx: number; data: Record<string, unknown> }): Promise<void> => {
      let attempts = 0;
      for (;;) {
        // A short-lived signal per row: listeners that runs add (AbortSignal.any in
        // providers, SDK internals) die with the row instead of piling up on the
        // evaluation's long-lived signal.
        const rowAbort = new AbortController();
        const forward = () => rowAbort.abort(abort.signal.reason);
        abort.signal.addEventListener('abort', forward, { once: true });
        try {
          const { result, trace } = await runEvaluationRow(rows, row, rowAbort.signal);
          if (abort.signal.aborted) return;
          writer.add(result, trace);
          limiter.onSuccess();
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          if (e instanceof RateLimited && ++attempts <= (this.opts.maxRateLimitRetries ?? 20)) {
            const pause = limiter.onRateLimit(e.retryAfterMs);
            limiter.release();
            await new Promise((r) => setTimeout(r, pause));
            await limiter.acquire(abort.signal);
            continue;
          }
          throw e;
        } finally {
          abort.signal.removeEventListener('abort', forward);
        }
      }
    };
    try {
      const limit = info.config.limit;
      outer: for await (const page of this.datasets.iterateRows(info.datasetVersionId, {
        skip: (i) => doneSet.has(i) || (limit !== undefined && i >= limit),
      })) {
        for (const row of page) {
          await limiter.acquire(abort.signal);
          if (abort.signal.aborted || fatal) {
            limiter.release();
            break outer;
          }
          const p: Promise<void> = runOne(row)
            .catch((e: unknown) => {
              if (abort.signal.aborted) return;
              fatal ??= e as Error;
              abort.abort(e);
            })
            .finally(() => {
              limiter.release();
              inflight.delete(p);
            });
          inflight.add(p);
        }
        if (limit !== undefined && page[page.length - 1].idx >= limit) break;
      }
    } catch (e) {
      if (!abort.signal.aborted) fatal ??= e as Error;
    }
    await Promise.all(inflight);
    try {
      await writer.flush();
    } catch (e) {
      fatal ??= e as Error;
    }
    clearInterval(heartbeat);
    await this.store.saveCounts(id, done, failed);
    const reason = abort.signal.reason as Error | undefined;
    if (fatal) {
      await this.store.setStatus(id, 'failed', {
        error: { code: 'evaluation_error', message: fatal.message },
        finished: true,
        summary: await computeSummary(this.store, id, info.config),
      });
    } else if (abort.signal.aborted && reason?.message === 'cancelled') {
      await this.store.setStatus(id, 'cancelled', {
        finished: true,
        summary: await computeSummary(this.store, id, info.config),
      });
    } else if (abort.signal.aborted) {
      // shutdown or lease lost: leave it resumable by whoever holds it next
      await this.store.releaseLease(id, this.owner);
      return;
    } else {
      await this.store.setStatus(id, 'completed', {
        finished: true,
        summary: await computeSummary(this.store, id, info.config),
      });
    }
    const final = (await this.store.get(id)) as EvaluationInfo;
    this.emit(id, {
      type: 'progress',
      id,
      status: final.status,
      total: final.total,
      done,
      failed,
      concurrency: limiter.limit,
    });
    this.emit(id, { type: 'finished', id, status: final.status, summary: final.summary });
  }
}
