/**
 * The coordinator of a scale-out evaluation (REDIS_URL set). The process that holds the
 * evaluation's lease enqueues its pending rows as BullMQ jobs, watches the stored rows
 * (workers store each row as it completes), and finalises the aggregates exactly once —
 * the final update is conditional on still holding the lease. If the coordinator dies,
 * the workers go on; the next process that takes the lease (any API process, or a
 * `braid worker`) enqueues again — idempotent by job id — and carries on watching.
 */
import type { EvaluationEvent, EvaluationInfo } from '../../shared/api/evaluation';
import type { AdaptiveLimiter } from './limiter';
import type { RowQueue } from './queue';
import type { EvaluationStore } from './store';
import { computeSummary } from './summary';

export interface CoordinatorOptions {
  info: EvaluationInfo;
  store: EvaluationStore;
  queue: RowQueue;
  owner: string;
  leaseMs: number;
  abort: AbortController;
  /** Shows the rows in flight as the run's concurrency. */
  limiter: AdaptiveLimiter;
  onCounts: (counts: { done: number; failed: number }) => void;
  emit: (e: EvaluationEvent) => void;
  /** How often the stored rows are counted (default 500 ms). */
  pollMs?: number;
  /** Enqueue the missing rows again after this long without a stored row (default 30 s). */
  requeueAfterMs?: number;
}

/** Rows of an evaluation without a stored result. */
export async function pendingRows(
  store: EvaluationStore,
  info: Pick<EvaluationInfo, 'id' | 'total'>,
): Promise<number[]> {
  const done = await store.doneIndexes(info.id);
  const out: number[] = [];
  for (let i = 0; i < info.total; i++) if (!done.has(i)) out.push(i);
  return out;
}

/** Remove an evaluation's queued rows and stop its rows in flight on every worker. */
export async function cancelQueuedRows(
  store: EvaluationStore,
  queue: RowQueue,
  info: Pick<EvaluationInfo, 'id' | 'total'>,
): Promise<void> {
  await queue.cancel(info.id, await pendingRows(store, info));
}

const NO_WORKERS =
  'no worker is consuming the evaluation queue (REDIS_URL is set and the API processes run none: BRAID_EVAL_INPROCESS_WORKER=0): start `braid worker`, or enable BRAID_EVAL_INPROCESS_WORKER';

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function coordinate(o: CoordinatorOptions): Promise<void> {
  const { info, store, queue, owner, abort } = o;
  const id = info.id;
  const pollMs = o.pollMs ?? 500;
  await queue.ready();
  await store.setStatus(id, 'running', { started: info.startedAt === null, error: null });
  await queue.enqueue(id, await pendingRows(store, info));

  let { done, failed } = await store.countResults(id);
  let lastChange = Date.now();
  let lastEmit = 0;
  let lastWorkerCheck = 0;
  let noWorkers = false;
  const progress = (status: EvaluationInfo['status'], force = false) => {
    const now = Date.now();
    if (!force && now - lastEmit < 200) return;
    lastEmit = now;
    o.emit({ type: 'progress', id, status, total: info.total, done, failed, concurrency: o.limiter.limit });
  };
  o.limiter.limit = 0;
  progress('running', true);
  while (done < info.total && !abort.signal.aborted) {
    await sleep(pollMs, abort.signal);
    if (abort.signal.aborted) break;
    if (!(await store.lease(id, owner, o.leaseMs))) {
      abort.abort(new Error('lease lost'));
      break;
    }
    const cur = await store.get(id);
    if (cur?.status === 'cancelled') {
      abort.abort(new Error('cancelled'));
      break;
    }
    const counts = await store.countResults(id);
    o.limiter.limit = await queue.inFlight().catch(() => o.limiter.limit);
    if (counts.done !== done || counts.failed !== failed) {
      ({ done, failed } = counts);
      lastChange = Date.now();
      await store.saveCounts(id, done, failed);
      o.onCounts({ done, failed });
      progress('running');
      if (noWorkers) {
        noWorkers = false;
        await store.noteError(id, null);
      }
      continue;
    }
    if (Date.now() - lastWorkerCheck > 5000) {
      // Rows only move while some worker (embedded in an API process, or `braid worker`) consumes the queue: say so when none does.
      lastWorkerCheck = Date.now();
      const none = (await queue.workers().catch(() => 1)) === 0;
      if (none !== noWorkers) {
        noWorkers = none;
        await store.noteError(id, none ? { code: 'no_workers', message: NO_WORKERS } : null);
      }
    }
    if (Date.now() - lastChange > (o.requeueAfterMs ?? 30_000)) {
      // No row landed for a while: a job may have been lost (Redis flushed, a job that
      // failed for good without its failed row being stored). Enqueue the missing rows again.
      lastChange = Date.now();
      // Redis down for now: the workers are stalled too; try again after the next quiet period.
      await queue.enqueue(id, await pendingRows(store, info)).catch(() => undefined);
    }
  }

  const reason = abort.signal.reason as Error | undefined;
  if (abort.signal.aborted && reason?.message !== 'cancelled') {
    // Shutdown or lease lost: the rows stay queued for the workers; whoever takes the lease next watches them.
    await store.releaseLease(id, owner);
    return;
  }
  if (abort.signal.aborted) {
    // The status first: a worker that hears of the cancel confirms it from the database.
    await store.finishOwned(id, owner, 'cancelled');
    await cancelQueuedRows(store, queue, info);
    // Rows a worker finished just before it heard of the cancel are stored before their job ends:
    // wait for the evaluation's jobs in flight to end, so the counts and the summary include them.
    const until = Date.now() + 5000;
    while (Date.now() < until && (await queue.activeRows(id).catch(() => 0)) > 0)
      await new Promise((r) => setTimeout(r, 50));
  }
  ({ done, failed } = await store.countResults(id));
  await store.saveCounts(id, done, failed);
  o.onCounts({ done, failed });
  const summary = await computeSummary(store, id, info.config);
  if (abort.signal.aborted) {
    // Cancelled (here or through another process, which set the status): the summary of the rows that made it.
    await store.setStatus(id, 'cancelled', { summary, finished: true });
  } else if (!(await store.finishOwned(id, owner, 'completed', { summary }))) {
    return; // another process finalised it (our lease had expired)
  }
  const final = (await store.get(id)) as EvaluationInfo;
  o.emit({ type: 'progress', id, status: final.status, total: final.total, done, failed, concurrency: 0 });
  o.emit({ type: 'finished', id, status: final.status, summary: final.summary });
}
