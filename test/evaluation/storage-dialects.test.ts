/** Datasets and evaluations on both storage dialects (PostgreSQL skipped with a reason when absent). */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { compareEvaluations } from '../../server/evaluation/compare';
import { EvaluationService } from '../../server/evaluation/service';
import { qaFlow } from '../../server/evaluation/test-fixtures';
import { runFlow } from '../../server/runtime/index';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { openTestStorage, postgresReachable, servicesRequired, type TestStorage } from '../support/storage';

const pgUp = await postgresReachable();
if (!pgUp && servicesRequired())
  throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1) but unreachable');
if (!pgUp) console.warn('[evaluation storage test] skipping PostgreSQL cases: nothing listens on 127.0.0.1:5432');

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(() => fake.close());

describe.each([
  ['sqlite', true],
  ['postgres', pgUp],
] as const)('evaluation storage on %s', (dialect, enabled) => {
  let t: TestStorage;
  let svc: EvaluationService;
  beforeAll(async () => {
    if (!enabled) return;
    t = await openTestStorage(dialect);
    svc = new EvaluationService({
      storage: t.storage,
      config: loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk' }),
      runFlow,
      loadFlow: async () => qaFlow(),
      leaseMs: 300,
    });
  });
  afterAll(async () => {
    if (!enabled) return;
    await svc.close();
    await t.dispose();
  });

  it.skipIf(!enabled)(
    'imports versions, runs, aggregates, compares, reviews and hands over an orphaned run',
    async () => {
      const csv =
        'q,expected\n' + Array.from({ length: 30 }, (_, i) => `q${i},${i % 3 ? `Echo: q${i}` : 'x'}`).join('\n');
      const imp = await svc.datasets.importStream({ name: 'd' }, Readable.from([Buffer.from(csv)]), {
        filename: 'd.csv',
      });
      expect(imp.version).toMatchObject({ version: 1, rowCount: 30, columns: ['q', 'expected'] });
      const again = await svc.datasets.importStream({ datasetId: imp.dataset.id }, Readable.from([Buffer.from(csv)]), {
        filename: 'd.csv',
      });
      expect(again.reused).toBe(true);
      const v2 = await svc.datasets.appendRows(imp.dataset.id, [{ q: 'extra', expected: 'Echo: extra' }]);
      expect(v2).toMatchObject({ version: 2, rowCount: 31 });

      const cfg = { mapping: { question: 'q' }, metrics: ['exact_match', 'bleu'] as const, concurrency: 4 };
      const a = await svc.create({
        flow: qaFlow(),
        datasetId: imp.dataset.id,
        datasetVersionId: imp.version.id,
        config: { ...cfg, metrics: [...cfg.metrics] },
      });
      const da = await svc.wait(a.id);
      expect(da).toMatchObject({ status: 'completed', done: 30, failed: 0 });
      expect(da.summary?.metrics[0].passRate).toBeCloseTo(20 / 30, 10);
      expect(typeof da.summary?.metrics[1].corpus).toBe('number');
      const rows = await svc.store.results(a.id, { offset: 28, limit: 10 });
      expect(rows.map((r) => r.rowIdx)).toEqual([28, 29]);

      // An evaluation left "running" by a dead process (stale lease) is taken over.
      const b = await svc.create({
        flow: qaFlow(),
        datasetId: imp.dataset.id,
        datasetVersionId: imp.version.id,
        config: { ...cfg, metrics: [...cfg.metrics] },
        start: false,
      });
      await svc.store.setStatus(b.id, 'running');
      await svc.store.lease(b.id, 'dead-process', 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await svc.resumeOrphans(0)).toContain(b.id);
      const db = await svc.wait(b.id);
      expect(db.status).toBe('completed');
      const cmp = await compareEvaluations(svc.store, a.id, b.id, { rows: true, filter: 'disagree' });
      expect(cmp.metrics[0]).toMatchObject({ delta: 0, significant: false, pairs: 30 });
      expect(cmp.rows).toEqual([]);
      await svc.store.addReview(a.id, { rowIdx: 1, kind: 'rating', value: 5, comment: 'great' });
      expect((await svc.store.reviews(a.id))[0]).toMatchObject({
        rowIdx: 1,
        kind: 'rating',
        value: 5,
        comment: 'great',
      });
    },
  );
});
