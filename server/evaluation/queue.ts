/**
 * Scale-out: evaluation rows as BullMQ jobs on Redis (REDIS_URL). One queue per Braid
 * installation — its prefix comes from an id stored in the database, so every process on
 * the same database (API processes, `braid worker`s) meets on the same queue and one Redis
 * can serve several installations. A job is one row; its id is the evaluation id plus the
 * row index, so enqueueing the same rows again (a coordinator that restarts, a re-check
 * after a stall) adds nothing that is still queued.
 */
import { randomUUID } from 'node:crypto';
import { Queue, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Config } from '../config';
import type { Storage } from '../storage/index';

export const ROW_QUEUE_NAME = 'evaluation-rows';

export interface RowJobData {
  evaluationId: string;
  rowIdx: number;
  /** How many times the row met a provider rate limit (kept across retries)… */
  limited?: number;
  /** …and when it first did (epoch ms). */
  limitedSince?: number;
}

/** `<evaluation id>_<row index>` (BullMQ ids may not contain ':' nor be integers). */
export function rowJobId(evaluationId: string, rowIdx: number): string {
  return `${evaluationId}_${rowIdx}`;
}

export const ROW_JOB_OPTIONS: JobsOptions = {
  // Faults outside the row's own run (storage down…) are retried; a run that fails is a stored failed row, not a job failure.
  attempts: 3,
  backoff: { type: 'exponential', delay: 1000 },
  // Completed jobs are kept a while (idempotent re-enqueue, who-did-what); failed ones go at once so a resume can re-add them.
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: true,
};

type MetaDb = import('kysely').Kysely<{ braid_meta: { key: string; value: string } }>;

/** This database's installation id (created on first use; the same for every process). */
export async function installationId(storage: Storage): Promise<string> {
  const db = storage.db.withTables<{ braid_meta: { key: string; value: string } }>() as unknown as MetaDb;
  await db
    .insertInto('braid_meta')
    .values({ key: 'installation_id', value: randomUUID() })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const r = await db
    .selectFrom('braid_meta')
    .select('value')
    .where('key', '=', 'installation_id')
    .executeTakeFirstOrThrow();
  return r.value;
}

/** The BullMQ key prefix of an installation (a Redis Cluster hash tag, so all its keys share a slot). */
export function queuePrefix(installation: string): string {
  return `{braid-${installation.replace(/-/g, '').slice(0, 16)}}`;
}

export class RedisUnavailable extends Error {
  readonly code = 'redis_unavailable';
}

/** Resolve `p`, or reject after `ms` with `message`. */
export async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RedisUnavailable(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** How long any one queue operation may wait for Redis (docs/evaluation.md#scale-out). */
export const REDIS_DEADLINE_MS = 10_000;

export class RowQueue {
  readonly queue: Queue<RowJobData>;
  private publisher: Redis | undefined;

  constructor(
    readonly redisUrl: string,
    readonly prefix: string,
  ) {
    this.queue = new Queue<RowJobData>(ROW_QUEUE_NAME, {
      connection: { url: redisUrl },
      prefix,
      defaultJobOptions: ROW_JOB_OPTIONS,
    });
    // Connection problems surface as errors of the calls that need Redis; keep them out of 'uncaughtException'.
    this.queue.on('error', () => undefined);
  }

  /** The queue of the installation whose database `storage` is. */
  static async open(
    config: Pick<Config, 'redisUrl'>,
    storage: Storage,
    opts: { prefix?: string } = {},
  ): Promise<RowQueue> {
    if (!config.redisUrl) throw new Error('REDIS_URL is not set');
    return new RowQueue(config.redisUrl, opts.prefix ?? queuePrefix(await installationId(storage)));
  }

  /** Channel on which cancellations reach every worker at once. */
  get cancelChannel(): string {
    return `${this.prefix}:${ROW_QUEUE_NAME}:cancel`;
  }

  /** Fails with RedisUnavailable when Redis does not answer in time. */
  async ready(timeoutMs = REDIS_DEADLINE_MS): Promise<void> {
    await within(this.queue.waitUntilReady(), timeoutMs, `Redis at REDIS_URL did not answer within ${timeoutMs} ms`);
  }

  /** Add one job per row (rows already queued under the same job id are left alone). */
  async enqueue(evaluationId: string, rowIdxs: Iterable<number>, chunk = 500): Promise<number> {
    let batch: Array<{ name: string; data: RowJobData; opts: JobsOptions }> = [];
    let n = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.deadline(this.queue.addBulk(batch), 'adding the rows');
      n += batch.length;
      batch = [];
    };
    for (const rowIdx of rowIdxs) {
      batch.push({ name: 'row', data: { evaluationId, rowIdx }, opts: { jobId: rowJobId(evaluationId, rowIdx) } });
      if (batch.length >= chunk) await flush();
    }
    await flush();
    return n;
  }

  /**
   * Cancel: remove the rows' jobs that wait (or wait for a retry) and tell every worker to
   * stop the ones in flight. Returns how many jobs were removed.
   */
  async cancel(evaluationId: string, rowIdxs: Iterable<number>): Promise<number> {
    await this.deadline(this.publish(evaluationId), 'announcing the cancellation');
    let removed = 0;
    let batch: Array<Promise<number>> = [];
    const settle = async () => {
      for (const code of await this.deadline(Promise.all(batch), 'removing queued rows')) if (code === 1) removed++;
      batch = [];
    };
    for (const idx of rowIdxs) {
      // A job that a worker holds (locked) is not removed here; the worker aborts it on the message.
      batch.push(this.queue.remove(rowJobId(evaluationId, idx)).catch(() => 0));
      if (batch.length >= 500) await settle();
    }
    await settle();
    return removed;
  }

  private async publish(evaluationId: string): Promise<void> {
    if (!this.publisher) {
      this.publisher = new Redis(this.redisUrl, { maxRetriesPerRequest: 3 });
      this.publisher.on('error', () => undefined);
    }
    await this.publisher.publish(this.cancelChannel, evaluationId);
  }

  /** `braid worker` processes connected to this queue now. */
  async workers(): Promise<number> {
    return this.deadline(this.queue.getWorkersCount(), 'counting workers');
  }

  /** Rows of one evaluation that a worker holds right now. */
  async activeRows(evaluationId: string): Promise<number> {
    const active = await this.deadline(this.queue.getActive(), 'listing rows in flight');
    return active.filter((j) => (j.data as RowJobData | undefined)?.evaluationId === evaluationId).length;
  }

  /** Rows being processed right now, over all workers (the queue is shared by evaluations). */
  async inFlight(): Promise<number> {
    return this.deadline(this.queue.getActiveCount(), 'counting rows in flight');
  }

  /** `p`, or RedisUnavailable once REDIS_DEADLINE_MS has passed (a Redis that hangs is one that is down). */
  private deadline<T>(p: Promise<T>, what: string): Promise<T> {
    return within(p, REDIS_DEADLINE_MS, `Redis at REDIS_URL did not answer within ${REDIS_DEADLINE_MS} ms (${what})`);
  }

  async close(): Promise<void> {
    await this.queue.close();
    if (this.publisher) this.publisher.disconnect();
  }
}
