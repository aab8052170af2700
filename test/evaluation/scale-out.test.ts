/**
 * Scale-out with real services: PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
 * This process coordinates (an EvaluationService with a RowQueue, as an API process with
 * REDIS_URL does); rows are run by `braid worker` child processes (bin/braid.js) against
 * the fake OpenAI server. Every test has a fresh PostgreSQL schema, hence its own
 * installation id and its own queue prefix. Skips (printing why) when a service is
 * unreachable, unless BRAID_REQUIRE_SERVICES=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { RowQueue } from '../../server/evaluation/queue';
import { EvaluationService } from '../../server/evaluation/service';
import { qaFlow } from '../../server/evaluation/test-fixtures';
import { runFlow } from '../../server/runtime/index';
import { openStorage, type Storage } from '../../server/storage/index';
import type { EvaluationInfo } from '../../shared/api/evaluation';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { PG_TEST_URL, postgresReachable, servicesRequired } from '../support/storage';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REDIS_URL = 'redis://127.0.0.1:6379';

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
if (missing.length && servicesRequired()) throw new Error(`BRAID_REQUIRE_SERVICES=1 but unreachable: ${missing.join(', ')}`);
if (missing.length) console.log(`skipping scale-out tests: unreachable ${missing.join(', ')}`);

interface Env {
  schema: string;
  storage: Storage;
  queue: RowQueue;
  svc: EvaluationService;
  workers: Array<{ child: ChildProcess; out: () => string }>;
}

let fake: FakeOpenAI;
let dir: string;
let env: Env | undefined;

beforeAll(async () => {
  if (missing.length) return;
  fake = await startFakeOpenAI();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-scale-'));
});
afterAll(async () => {
  await fake?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  if (!env) return;
  const e = env;
  env = undefined;
  for (const w of e.workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
  await e.svc.close();
  await e.queue.queue.obliterate({ force: true }).catch(() => undefined);
  await e.queue.close();
  await sql`drop schema if exists ${sql.id(e.schema)} cascade`.execute(e.storage.db);
  await e.storage.close();
});

async function setup(latencyMs: number): Promise<Env> {
  fake.reset();
  fake.setLatency(latencyMs);
  const schema = `braid_scale_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    DATABASE_URL: PG_TEST_URL,
    REDIS_URL,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test',
  });
  const storage = await openStorage(config, { pgSchema: schema });
  const queue = await RowQueue.open(config, storage);
  const svc = new EvaluationService({
    storage,
    config,
    runFlow,
    loadFlow: async () => qaFlow(),
    rowQueue: queue,
    coordinator: { pollMs: 200 },
  });
  env = { schema, storage, queue, svc, workers: [] };
  return env;
}

/** Start `braid worker` (node bin/braid.js, so a signal reaches the worker itself) and wait until it is ready. */
function startWorker(e: Env, concurrency: number): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'bin', 'braid.js'),
      'worker',
      '--concurrency',
      String(concurrency),
      '--lock-duration',
      '2000',
      '--stalled-interval',
      '500',
    ],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${e.schema}`)}`,
        REDIS_URL,
        OPENAI_BASE_URL: fake.url,
        OPENAI_API_KEY: 'sk-test',
        BRAID_FLOWS_DIR: path.join(dir, 'flows'),
        BRAID_DATA_DIR: path.join(dir, 'data'),
        BRAID_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  e.workers.push({ child, out: () => out + err });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start: ${out} ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready: queue/.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out} ${err}`)));
  });
}

async function evaluation(e: Env, rows: number): Promise<EvaluationInfo> {
  const lines = Array.from({ length: rows }, (_, i) =>
    JSON.stringify({ q: `question ${i}`, answer: i % 4 === 0 ? 'wrong' : `Echo: question ${i}` }),
  ).join('\n');
  const { dataset } = await e.svc.datasets.importStream({ name: 'd' }, Readable.from([Buffer.from(lines)]), {
    filename: 'd.jsonl',
  });
  return e.svc.create({
    flow: qaFlow(),
    datasetId: dataset.id,
    config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
  });
}

async function storedRows(e: Env, id: string): Promise<number[]> {
  const rows = await e.svc.store.results(id, { limit: 5000 });
  return rows.map((r) => r.rowIdx);
}

function asked(): string[] {
  return fake.calls
    .filter((c) => c.path === '/v1/chat/completions')
    .map((c) => String((c.body as { messages: Array<{ content: string }> }).messages.at(-1)?.content));
}

async function until(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(missing.length > 0)('scale-out: braid worker processes on Redis + PostgreSQL', () => {
  it('two workers share an evaluation: every row stored once, both did some, aggregates right', async () => {
    const e = await setup(60);
    await Promise.all([startWorker(e, 3), startWorker(e, 3)]);
    const info = await evaluation(e, 40);
    const final = await e.svc.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(40);
    expect(final.failed).toBe(0);
    // exact_match: every fourth row has a wrong reference → 30 / 40
    const em = final.summary?.metrics.find((m) => m.name === 'exact_match');
    expect(em?.passRate).toBe(0.75);
    expect(em?.count).toBe(40);
    expect(await storedRows(e, info.id)).toEqual([...Array(40).keys()]);
    // no row ran twice
    expect(asked()).toHaveLength(40);
    expect(new Set(asked()).size).toBe(40);
    // both workers processed rows (BullMQ records the worker name on each job)
    const completed = await e.queue.queue.getCompleted(0, 100);
    const byWorker = new Map<string, number>();
    for (const j of completed) byWorker.set(String(j.processedBy), (byWorker.get(String(j.processedBy)) ?? 0) + 1);
    expect(completed).toHaveLength(40);
    expect(byWorker.size).toBe(2);
    for (const n of byWorker.values()) expect(n).toBeGreaterThan(0);
  }, 60_000);

  it('SIGKILL of a worker mid-run: the evaluation still completes with every row exactly once', async () => {
    const e = await setup(150);
    const [victim] = await Promise.all([startWorker(e, 3), startWorker(e, 2)]);
    const info = await evaluation(e, 50);
    await until(async () => (await storedRows(e, info.id)).length >= 10, 30_000, '10 stored rows');
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const final = await e.svc.wait(info.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(50);
    expect(final.failed).toBe(0);
    expect(final.summary?.metrics[0].passRate).toBeCloseTo(37 / 50, 10);
    expect(await storedRows(e, info.id)).toEqual([...Array(50).keys()]);
    // Rows in flight on the killed worker ran again on the other one (at most its 3 slots); nothing else twice.
    const calls = asked();
    expect(new Set(calls).size).toBe(50);
    expect(calls.length - 50).toBeLessThanOrEqual(3);
  }, 60_000);

  it('cancel removes waiting jobs and stops rows in flight', async () => {
    const e = await setup(300);
    await Promise.all([startWorker(e, 2), startWorker(e, 2)]);
    const info = await evaluation(e, 200);
    await until(async () => (await storedRows(e, info.id)).length >= 4, 30_000, '4 stored rows');
    const cancelled = await e.svc.cancel(info.id);
    expect(cancelled.status).toBe('cancelled');
    const storedAtCancel = (await storedRows(e, info.id)).length;
    expect(storedAtCancel).toBeLessThan(200);
    const counts = await e.queue.queue.getJobCounts('waiting', 'delayed', 'prioritized');
    expect(counts.waiting + counts.delayed + counts.prioritized).toBe(0);
    // rows in flight are aborted: no new row lands and no new model call starts
    const callsAfterCancel = asked().length;
    await new Promise((r) => setTimeout(r, 1000));
    expect((await storedRows(e, info.id)).length).toBe(storedAtCancel);
    expect(asked().length).toBe(callsAfterCancel);
    expect((await e.queue.queue.getJobCounts('active')).active).toBe(0);
    expect(fake.calls.filter((c) => c.clientClosed).length).toBeGreaterThan(0);
    const after = await e.svc.get(info.id);
    expect(after?.status).toBe('cancelled');
    expect(after?.done).toBe(storedAtCancel);
    expect(after?.summary?.succeeded).toBe(storedAtCancel);
  }, 60_000);
});
