/**
 * RowWorker and the scale-out coordinator in one process, on real PostgreSQL and Redis
 * (fresh schema, hence a fresh queue prefix, per test): 429 storms back off instead of
 * failing rows, re-enqueueing is idempotent, and a coordinator that shuts down hands the
 * evaluation over to another process, which finalises it exactly once. The multi-process
 * cases (two `braid worker` children, SIGKILL, cancel) are in test/evaluation/scale-out.test.ts.
 */
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { openTestStorage, postgresReachable, servicesRequired, type TestStorage } from '../../test/support/storage';
import type { EvaluationEvent } from '../../shared/api/evaluation';
import { loadConfig, type Config } from '../config';
import { runFlow } from '../runtime/index';
import { RowQueue } from './queue';
import { EvaluationService } from './service';
import { qaFlow } from './test-fixtures';
import { RowWorker } from './worker';
import { createApp } from '../app';
import { evaluationServiceFor } from './http-context';

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 6379 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

const missing = [
  ...((await postgresReachable()) ? [] : ['PostgreSQL at 127.0.0.1:5432']),
  ...((await redisReachable()) ? [] : ['Redis at 127.0.0.1:6379']),
];
if (missing.length && servicesRequired())
  throw new Error(`BRAID_REQUIRE_SERVICES=1 but unreachable: ${missing.join(', ')}`);
if (missing.length) console.log(`skipping RowWorker tests: unreachable ${missing.join(', ')}`);

let fake: FakeOpenAI;
beforeAll(async () => {
  if (!missing.length) fake = await startFakeOpenAI();
});
afterAll(() => fake?.close());

describe.skipIf(missing.length > 0)('RowWorker (BullMQ) with the scale-out coordinator', () => {
  let t: TestStorage;
  let queue: RowQueue;
  let config: Config;
  const closers: Array<() => Promise<void>> = [];

  async function setup(dialect: 'postgres' | 'sqlite' = 'postgres'): Promise<void> {
    fake.reset();
    t = await openTestStorage(dialect);
    config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
    queue = await RowQueue.open(config, t.storage);
  }
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c();
    await queue.queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await t.dispose();
  });

  function service(): EvaluationService {
    const svc = new EvaluationService({
      storage: t.storage,
      config,
      runFlow,
      loadFlow: async () => qaFlow(),
      rowQueue: queue,
      coordinator: { pollMs: 100 },
    });
    closers.push(() => svc.close());
    return svc;
  }

  async function worker(concurrency: number, extra: { rateLimitGiveUpMs?: number } = {}): Promise<RowWorker> {
    const w = new RowWorker({
      storage: t.storage,
      queue,
      config,
      runFlow,
      loadFlow: async () => qaFlow(),
      concurrency,
      ...extra,
    });
    await w.start();
    closers.push(() => w.close());
    return w;
  }

  async function dataset(svc: EvaluationService, n: number): Promise<string> {
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ q: `question ${i}`, answer: `Echo: question ${i}` }),
    ).join('\n');
    const { dataset: d } = await svc.datasets.importStream({ name: 'd' }, Readable.from([Buffer.from(lines)]), {
      filename: 'd.jsonl',
    });
    return d.id;
  }

  it('a 429 storm backs off through the queue instead of failing rows', async () => {
    await setup();
    const svc = service();
    const w = await worker(8);
    const datasetId = await dataset(svc, 24);
    fake.enqueue(...Array.from({ length: 30 }, () => ({ status: 429, retryAfterMs: 20 })));
    let minConcurrency = 8;
    const sampler = setInterval(() => (minConcurrency = Math.min(minConcurrency, w.worker.concurrency)), 5);
    const info = await svc.create({
      flow: qaFlow({ retry: 0 }),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 8 },
    });
    const done = await svc.wait(info.id);
    clearInterval(sampler);
    expect(done.status).toBe('completed');
    expect(done.failed).toBe(0);
    expect(done.done).toBe(24);
    expect(done.summary?.metrics[0].passRate).toBe(1);
    expect(fake.calls.filter((c) => c.behaviour && 'status' in c.behaviour && c.behaviour.status === 429)).toHaveLength(
      30,
    );
    expect(minConcurrency).toBeLessThan(8);
    expect(w.stored).toBe(24);
  });

  it('a row rate limited for longer than the give-up time is stored as failed, once', async () => {
    await setup();
    const svc = service();
    await worker(1, { rateLimitGiveUpMs: 50 });
    const datasetId = await dataset(svc, 3);
    // the first row meets 429s (30 ms Retry-After) until its 50 ms are over; the others then pass
    fake.enqueue(...Array.from({ length: 3 }, () => ({ status: 429, retryAfterMs: 30 })));
    const info = await svc.create({
      flow: qaFlow({ retry: 0 }),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 1 },
    });
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(3);
    const failed = await svc.store.results(info.id, { filter: 'failed' });
    expect(failed.map((r) => r.error?.code)).toEqual(['rate_limited']);
    expect(failed[0].error?.message).toMatch(/still rate limited after \d+ attempts/);
  });

  it('works on SQLite too (API and workers sharing one file): installation id, row lookup, batched inserts', async () => {
    await setup('sqlite');
    const svc = service();
    const w = await worker(4);
    const datasetId = await dataset(svc, 10);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.summary?.metrics[0].passRate).toBe(1);
    expect(w.stored).toBe(10);
    expect(queue.prefix).toMatch(/^\{braid-[0-9a-f]{16}\}$/);
  });

  it('re-enqueueing is idempotent, and a stored row whose job comes back is not run again', async () => {
    await setup();
    const svc = service();
    const w = await worker(4);
    const datasetId = await dataset(svc, 12);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    expect((await svc.wait(info.id)).status).toBe('completed');
    expect(fake.calls).toHaveLength(12);
    // the completed jobs are still known under the same ids: nothing is added
    await queue.enqueue(info.id, [...Array(12).keys()]);
    expect((await queue.queue.getJobCounts('waiting', 'delayed', 'active')).waiting).toBe(0);
    // forget them; the re-added jobs find their rows stored and skip them (no model call, no second row)
    await queue.queue.clean(0, 100, 'completed');
    await queue.enqueue(info.id, [...Array(12).keys()]);
    const deadline = Date.now() + 10_000;
    while ((await queue.queue.getCompletedCount()) < 12 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const results = await queue.queue.getCompleted(0, 100);
    expect(results.map((j) => j.returnvalue)).toEqual(Array(12).fill('already stored'));
    expect(fake.calls).toHaveLength(12);
    expect(w.stored).toBe(12);
    expect((await svc.store.countResults(info.id)).done).toBe(12);
  });

  it('cancel drops the queued rows and stops rows in flight; resume finishes without redoing stored rows', async () => {
    await setup();
    fake.setLatency(100);
    const svc = service();
    const w = await worker(3);
    expect(await queue.workers()).toBe(1);
    const datasetId = await dataset(svc, 40);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    while ((await svc.store.countResults(info.id)).done < 3) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await svc.cancel(info.id);
    expect(cancelled.status).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 300));
    const { done: kept } = await svc.store.countResults(info.id);
    expect(kept).toBeLessThan(40);
    expect(await queue.queue.getJobCounts('waiting', 'active', 'delayed')).toEqual({
      waiting: 0,
      active: 0,
      delayed: 0,
    });
    const before = new Set(fake.calls.map((c) => JSON.stringify((c.body as { messages: unknown[] }).messages.at(-1))))
      .size;
    expect(await svc.start(info.id)).toBe(true);
    const final = await svc.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(40);
    // rows stored before the cancel did not run again; only rows aborted in flight ran twice
    expect(fake.calls.length).toBeLessThanOrEqual(40 + (before - kept));
    expect(w.stored).toBe(40);
  });

  it('a coordinator that shuts down hands over; the next process finalises exactly once', async () => {
    await setup();
    fake.setLatency(40);
    const first = service();
    const datasetId = await dataset(first, 30);
    const info = await first.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    const events: EvaluationEvent[] = [];
    first.subscribe(info.id, (e) => events.push(e));
    await first.close(); // graceful: releases the lease, rows stay queued
    expect((await queue.queue.getJobCounts('waiting')).waiting).toBe(30);
    const w = await worker(4);
    const second = service();
    second.subscribe(info.id, (e) => events.push(e));
    expect(await second.resumeOrphans(0)).toEqual([info.id]);
    const final = await second.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(30);
    expect(final.summary?.metrics[0].passRate).toBe(1);
    expect(events.filter((e) => e.type === 'finished')).toHaveLength(1);
    expect(w.stored).toBe(30);
    expect(fake.calls).toHaveLength(30);
  });
  it('closeWithin: rows in flight past the grace are aborted and go back to the queue for another worker', async () => {
    await setup();
    fake.setLatency(3000);
    const svc = service();
    const first = await worker(3);
    const datasetId = await dataset(svc, 6);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 3 },
    });
    while (fake.calls.length < 3) await new Promise((r) => setTimeout(r, 20));
    const t0 = Date.now();
    await first.closeWithin(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(first.stored).toBe(0);
    expect(fake.calls.filter((c) => c.clientClosed).length).toBeGreaterThanOrEqual(3);
    fake.setLatency(5);
    const second = await worker(3);
    const final = await svc.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(6);
    expect(final.failed).toBe(0);
    expect(second.stored).toBe(6);
  });

  it('an API app with REDIS_URL consumes its rows with an embedded worker (BRAID_EVAL_INPROCESS_WORKER), closed with the app', async () => {
    await setup();
    const apiConfig = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test',
      BRAID_LOG_LEVEL: 'silent',
      BRAID_EVAL_INPROCESS_CONCURRENCY: '3',
    });
    const app = createApp({ config: apiConfig, storage: t.storage });
    closers.push(() => app.close());
    const svc = evaluationServiceFor(app.context);
    const deadline = Date.now() + 10_000;
    while ((await queue.workers()) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await queue.workers()).toBe(1);
    const datasetId = await dataset(svc, 9);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    const final = await svc.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(9);
    expect(final.error).toBeNull();
    expect((await queue.queue.getCompleted(0, 100)).map((j) => j.returnvalue)).toEqual(Array(9).fill('stored'));
    await app.close();
    expect(await queue.workers()).toBe(0);
  });

  it('with BRAID_EVAL_INPROCESS_WORKER=0 an API app runs no worker: the evaluation waits with error no_workers', async () => {
    await setup();
    const apiConfig = loadConfig({
      REDIS_URL: 'redis://127.0.0.1:6379',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test',
      BRAID_LOG_LEVEL: 'silent',
      BRAID_EVAL_INPROCESS_WORKER: 'off',
    });
    expect(apiConfig.evalInProcessWorker).toBe(false);
    const app = createApp({ config: apiConfig, storage: t.storage });
    closers.push(() => app.close());
    const svc = evaluationServiceFor(app.context);
    const datasetId = await dataset(svc, 3);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    const deadline = Date.now() + 5000;
    while ((await svc.get(info.id))?.error === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const waiting = await svc.get(info.id);
    expect(waiting?.status).toBe('running');
    expect(waiting?.error?.code).toBe('no_workers');
    expect(await queue.workers()).toBe(0);
    expect(fake.calls).toHaveLength(0);
  });
});
