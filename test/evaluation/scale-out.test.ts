/**
 * Scale-out with real services: PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379).
 * This process coordinates (an EvaluationService with a RowQueue, as an API process with
 * REDIS_URL does); rows are run by `braid worker` child processes (bin/braid.js) against
 * the fake OpenAI server — or, in the API-process tests, by the worker embedded in
 * `server/main.ts` (BRAID_EVAL_INPROCESS_WORKER, on by default). Every test has a fresh PostgreSQL schema, hence its own
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
if (missing.length && servicesRequired())
  throw new Error(`BRAID_REQUIRE_SERVICES=1 but unreachable: ${missing.join(', ')}`);
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
  const alive = e.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  await Promise.all(
    alive.map((w) => {
      const exited = new Promise((r) => w.child.once('exit', r));
      w.child.kill('SIGKILL');
      return exited;
    }),
  );
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

function childEnv(e: Env): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    DATABASE_URL: `${PG_TEST_URL}?options=${encodeURIComponent(`-c search_path=${e.schema}`)}`,
    REDIS_URL,
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test',
    BRAID_FLOWS_DIR: path.join(dir, 'flows'),
    BRAID_DATA_DIR: path.join(dir, 'data'),
    BRAID_LOG_LEVEL: 'silent',
  };
}

/** Start a child and wait for a line on stdout. */
function startChild(
  e: Env,
  args: string[],
  extraEnv: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...childEnv(e), ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  e.workers.push({ child, out: () => out + err });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out} ${err}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}: ${out} ${err}`)));
  });
}

/** Start `braid worker` (node bin/braid.js, so a signal reaches the worker itself) and wait until it is ready. */
async function startWorker(e: Env, concurrency: number): Promise<ChildProcess> {
  const args = [
    path.join(ROOT, 'bin', 'braid.js'),
    'worker',
    '--concurrency',
    String(concurrency),
    '--lock-duration',
    '2000',
    '--stalled-interval',
    '500',
  ];
  return (await startChild(e, args, {}, /ready: queue/)).child;
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
    // The rows in flight on the killed worker came back through BullMQ's stalled-job check and ran
    // again on the other worker (at most its 3 slots); nothing else ran twice.
    const stalled = (await e.queue.queue.getCompleted(0, 100)).filter((j) => j.stalledCounter > 0);
    expect(stalled.length).toBeGreaterThanOrEqual(1);
    expect(stalled.length).toBeLessThanOrEqual(3);
    const calls = asked();
    expect(new Set(calls).size).toBe(50);
    // (a stalled row that the victim stored just before dying is skipped, not run again)
    expect(calls.length - 50).toBeLessThanOrEqual(stalled.length);
  }, 60_000);

  /** Start an API process (server/main.ts, as `braid serve`) with the example qa flow; returns its URL. */
  async function startApi(e: Env, extraEnv: NodeJS.ProcessEnv): Promise<{ url: string; pid: number }> {
    fs.mkdirSync(path.join(dir, 'flows'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(dir, 'flows', 'qa.flow.json'));
    const { child, match } = await startChild(
      e,
      ['--import', 'tsx', path.join(ROOT, 'server', 'main.ts')],
      { PORT: '0', HOST: '127.0.0.1', ...extraEnv },
      /running at (http:\/\/\S+)/,
    );
    return { url: match[1], pid: child.pid as number };
  }

  /** Upload a 20-row dataset and start an evaluation of the qa flow over HTTP. */
  async function apiEvaluation(url: string): Promise<EvaluationInfo> {
    const data = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ q: `question ${i}`, answer: `Echo: question ${i}` }),
    );
    const up = await fetch(`${url}/api/datasets?name=api&filename=a.jsonl`, {
      method: 'POST',
      body: data.join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    const { dataset } = (await up.json()) as { dataset: { id: string } };
    const res = await fetch(`${url}/api/evaluations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        flowId: 'qa',
        datasetId: dataset.id,
        config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
      }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { evaluation: EvaluationInfo }).evaluation;
  }

  async function apiGet(url: string, id: string): Promise<EvaluationInfo> {
    return ((await (await fetch(`${url}/api/evaluations/${id}`)).json()) as { evaluation: EvaluationInfo }).evaluation;
  }

  async function apiFinished(url: string, id: string): Promise<EvaluationInfo> {
    let final: EvaluationInfo | undefined;
    await until(
      async () => {
        final = await apiGet(url, id);
        return final.status !== 'running' && final.status !== 'queued';
      },
      30_000,
      'the evaluation to finish',
    );
    return final as EvaluationInfo;
  }

  it('an API process alone (braid serve with REDIS_URL, no braid worker) runs the rows with its embedded worker', async () => {
    const e = await setup(20);
    const { url, pid } = await startApi(e, {});
    const created = await apiEvaluation(url);
    const final = await apiFinished(url, created.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(20);
    expect(final.error).toBeNull();
    expect(final.summary?.metrics[0].passRate).toBe(1);
    expect(asked()).toHaveLength(20);
    // the rows went through the queue, and the API process's own worker ran every one
    const completed = await e.queue.queue.getCompleted(0, 100);
    expect(completed).toHaveLength(20);
    expect(new Set(completed.map((j) => j.processedBy))).toEqual(new Set([`${os.hostname()}:${pid}`]));
  }, 60_000);

  it('BRAID_EVAL_INPROCESS_WORKER=0 and no worker: the evaluation reports no_workers, then a braid worker finishes it', async () => {
    const e = await setup(20);
    const { url } = await startApi(e, { BRAID_EVAL_INPROCESS_WORKER: '0' });
    const created = await apiEvaluation(url);
    let waiting: EvaluationInfo | undefined;
    await until(
      async () => (waiting = await apiGet(url, created.id)).error?.code === 'no_workers',
      10_000,
      'error no_workers',
    );
    expect(waiting?.status).toBe('running');
    expect(waiting?.error?.message).toMatch(/braid worker.*BRAID_EVAL_INPROCESS_WORKER/);
    expect(waiting?.done).toBe(0);
    expect(asked()).toHaveLength(0);
    const worker = await startWorker(e, 4);
    const final = await apiFinished(url, created.id);
    expect(final.status).toBe('completed');
    expect(final.done).toBe(20);
    expect(final.error).toBeNull();
    expect(final.summary?.metrics[0].passRate).toBe(1);
    expect(asked()).toHaveLength(20);
    // the worker (not the API) ran every row
    const completed = await e.queue.queue.getCompleted(0, 100);
    expect(completed).toHaveLength(20);
    expect(new Set(completed.map((j) => j.processedBy))).toEqual(new Set([`${os.hostname()}:${worker.pid}`]));
  }, 60_000);

  it('braid worker refuses to start without REDIS_URL or without a database it can share', async () => {
    const run = (env: NodeJS.ProcessEnv) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'braid.js'), 'worker'], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, BRAID_LOG_LEVEL: 'silent', ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
        child.once('exit', (code) => resolve({ code, err }));
      });
    const empty = fs.mkdtempSync(path.join(dir, 'empty-'));
    const [noRedis, noDb] = await Promise.all([
      run({ BRAID_DATA_DIR: empty }),
      run({ BRAID_DATA_DIR: empty, REDIS_URL }),
    ]);
    expect(noRedis.code).toBe(2);
    expect(noRedis.err).toMatch(/needs REDIS_URL/);
    expect(noDb.code).toBe(2);
    expect(noDb.err).toMatch(/no database at .*braid\.db.*DATABASE_URL/);
  }, 30_000);

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
