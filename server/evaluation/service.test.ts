import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { loadConfig } from '../config';
import { runFlow } from '../runtime/index';
import { openTestStorage, type TestStorage } from '../../test/support/storage';
import { MappingError } from './mapping';
import { EvaluationService } from './service';
import { qaFlow } from './test-fixtures';
import type { EvaluationEvent } from '../../shared/api/evaluation';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

describe('EvaluationService', () => {
  let t: TestStorage;
  let svc: EvaluationService;
  beforeEach(async () => {
    fake.reset();
    t = await openTestStorage('sqlite');
    const config = loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
    svc = new EvaluationService({ storage: t.storage, config, runFlow, loadFlow: async () => qaFlow() });
  });
  afterEach(async () => {
    await svc.close();
    await t.dispose();
  });

  async function dataset(n: number) {
    const lines = Array.from({ length: n }, (_, i) =>
      JSON.stringify({ q: `question ${i}`, answer: i % 2 === 0 ? `Echo: question ${i}` : 'wrong' }),
    ).join('\n');
    return (
      await svc.datasets.importStream({ name: 'd' }, Readable.from([Buffer.from(lines)]), { filename: 'd.jsonl' })
    ).dataset;
  }

  it('runs every row, stores results and aggregates, and streams progress', async () => {
    const ds = await dataset(10);
    const events: EvaluationEvent[] = [];
    const info = await svc.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: {
        mapping: { question: 'q' },
        expected: 'answer',
        metrics: ['exact_match', 'rougeL', 'latency'],
        concurrency: 4,
      },
      start: false,
    });
    svc.subscribe(info.id, (e) => events.push(e));
    await svc.start(info.id);
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(10);
    const em = done.summary?.metrics.find((m) => m.name === 'exact_match');
    expect(em?.passRate).toBe(0.5);
    expect(em?.ci95?.[0]).toBeLessThanOrEqual(0.5);
    expect(done.summary?.tokens).toBeGreaterThan(0);
    expect(events.filter((e) => e.type === 'row')).toHaveLength(10);
    expect(events.at(-1)).toMatchObject({ type: 'finished', status: 'completed' });
    const rows = await svc.store.results(info.id, { limit: 100 });
    expect(rows.map((r) => r.rowIdx)).toEqual([...Array(10).keys()]);
    expect(rows[0].metrics.exact_match).toMatchObject({ value: 1, passed: true });
    const one = await svc.store.result(info.id, 0);
    expect(one?.trace?.spans.some((s) => s.nodeType === 'prompt')).toBe(true);
  });

  it('checks the mapping before any row runs', async () => {
    const ds = await dataset(3);
    const err = await svc
      .create({
        flow: qaFlow(),
        datasetId: ds.id,
        config: { mapping: { question: 'nope' }, metrics: ['exact_match'], concurrency: 2 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MappingError);
    expect((err as MappingError).problems.map((p) => p.path).sort()).toEqual(['expected', 'mapping.question']);
    expect((err as MappingError).message).toMatch(/column "nope" is not in the dataset/);
    expect(fake.calls.length).toBe(0);
    await expect(
      svc.create({
        flow: qaFlow(),
        datasetId: ds.id,
        config: { mapping: {}, metrics: ['exact_match'], expected: 'answer', concurrency: 2 },
      }),
    ).rejects.toThrow(/required input "question" is not mapped/);
    await expect(
      svc.create({
        flow: qaFlow(),
        datasetId: ds.id,
        config: { mapping: { question: 'q' }, metrics: ['bogus' as never], concurrency: 2 },
      }),
    ).rejects.toThrow(/unknown metric "bogus"/);
  });

  it('records a failing row instead of failing the evaluation', async () => {
    const ds = await dataset(4);
    fake.enqueue({ status: 400, message: 'bad request' });
    const info = await svc.create({
      flow: qaFlow({ retry: 0 }),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 1 },
    });
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.failed).toBe(1);
    const failed = await svc.store.results(info.id, { filter: 'failed' });
    expect(failed).toHaveLength(1);
    expect(failed[0].error?.code).toBe('provider_bad_request');
  });

  it('a 429 storm slows the run down instead of failing rows', async () => {
    const ds = await dataset(24);
    fake.enqueue(...Array.from({ length: 30 }, () => ({ status: 429, retryAfterMs: 20 })));
    const info = await svc.create({
      flow: qaFlow({ retry: 0 }),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 8 },
      start: false,
    });
    const concurrency: number[] = [];
    svc.subscribe(info.id, (e) => {
      if (e.type === 'progress') concurrency.push(e.concurrency);
    });
    await svc.start(info.id);
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.failed).toBe(0);
    expect(done.done).toBe(24);
    expect(fake.calls.filter((c) => c.behaviour && 'status' in c.behaviour && c.behaviour.status === 429)).toHaveLength(
      30,
    );
    expect(Math.min(...concurrency)).toBeLessThan(8);
  });

  it('cancel stops the run and keeps completed rows; start continues it without redoing them', async () => {
    const ds = await dataset(40);
    fake.setLatency(30);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 2 },
    });
    await new Promise((r) => setTimeout(r, 150));
    const cancelled = await svc.cancel(info.id);
    expect(cancelled.status).toBe('cancelled');
    const kept = cancelled.done;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(40);
    const stored = new Set((await svc.store.results(info.id, { limit: 100 })).map((r) => `question ${r.rowIdx}`));
    expect(stored.size).toBe(kept);
    fake.setLatency(0);
    const callsBefore = fake.calls.length;
    await svc.start(info.id);
    const done = await svc.wait(info.id);
    expect(done.status).toBe('completed');
    expect(done.done).toBe(40);
    const asked = fake.calls
      .slice(callsBefore)
      .map((c) => (c.body as { messages: Array<{ content: string }> }).messages.at(-1)?.content);
    expect(asked.filter((q) => stored.has(q ?? ''))).toEqual([]);
    expect(new Set(asked).size).toBe(40 - kept);
  });

  it('compares two evaluations with a paired bootstrap and exports reviews', async () => {
    const ds = await dataset(30);
    const a = await svc.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    await svc.wait(a.id);
    fake.setResponder(() => 'something else');
    const b = await svc.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    });
    await svc.wait(b.id);
    const { compareEvaluations } = await import('./compare');
    const cmp = await compareEvaluations(svc.store, a.id, b.id, { rows: true, filter: 'a_better' });
    expect(cmp.metrics[0]).toMatchObject({
      name: 'exact_match',
      a: 0.5,
      b: 0,
      delta: -0.5,
      significant: true,
      pairs: 30,
    });
    expect(cmp.rows).toHaveLength(15);
    const same = await compareEvaluations(svc.store, a.id, a.id);
    expect(same.metrics[0].significant).toBe(false);
  });
  it('a graceful shutdown leaves the run resumable at once by the next process', async () => {
    const ds = await dataset(30);
    fake.setLatency(20);
    const info = await svc.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 2 },
    });
    await new Promise((r) => setTimeout(r, 120));
    await svc.close();
    const mid = await svc.store.get(info.id);
    expect(mid?.status).toBe('running');
    expect(mid?.done).toBeLessThan(30);
    fake.setLatency(0);
    const next = new EvaluationService({
      storage: t.storage,
      config: loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' }),
      runFlow,
      loadFlow: async () => qaFlow(),
    });
    expect(await next.resumeOrphans(0)).toEqual([info.id]);
    const done = await next.wait(info.id);
    expect(done).toMatchObject({ status: 'completed', done: 30 });
    await next.close();
  });
  it('a cancel from another process sharing the database stops the run', async () => {
    const ds = await dataset(60);
    fake.setLatency(20);
    const cfg = loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
    const runner = new EvaluationService({
      storage: t.storage,
      config: cfg,
      runFlow,
      loadFlow: async () => qaFlow(),
      leaseMs: 300,
    });
    const other = new EvaluationService({ storage: t.storage, config: cfg, runFlow, loadFlow: async () => qaFlow() });
    const info = await runner.create({
      flow: qaFlow(),
      datasetId: ds.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 1 },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect((await other.cancel(info.id)).status).toBe('cancelled');
    const end = await runner.wait(info.id);
    expect(end.status).toBe('cancelled');
    expect(end.done).toBeLessThan(60);
    await runner.close();
    await other.close();
  });
});
