import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStorage, postgresReachable, servicesRequired, type TestStorage } from '../support/storage';
import { startHarness, type Harness } from './harness';

const pgUp = await postgresReachable();
if (!pgUp && servicesRequired())
  throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1) but unreachable');
if (!pgUp) console.warn('[postgres.test] skipped: nothing listens on 127.0.0.1:5432');

describe.skipIf(!pgUp)('the app on PostgreSQL', () => {
  let pg: TestStorage;
  let h: Harness;
  beforeAll(async () => {
    pg = await openTestStorage('postgres');
    h = await startHarness({ storage: pg.storage });
  });
  afterAll(async () => {
    await h?.close();
    await pg?.dispose();
  });

  it('persists runs and serves history and traces', async () => {
    const res = await h.api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: 'pg pg sql' } } });
    const body = (await res.json()) as { runId: string; status: string };
    expect(body.status).toBe('succeeded');
    expect((await (await h.api('/api/health')).json()) as { dialect: string }).toMatchObject({ dialect: 'postgres' });
    const run = (await (await h.api(`/api/runs/${body.runId}`)).json()) as {
      status: string;
      startedAt: number;
      durationMs: number;
      trace: { spans: unknown[] };
    };
    expect(run.status).toBe('succeeded');
    expect(typeof run.startedAt).toBe('number');
    expect(typeof run.durationMs).toBe('number');
    expect(run.trace.spans).toHaveLength(3);
    const hist = (await (await h.api('/api/flows/code-tool/runs')).json()) as { runs: Array<{ runId: string }> };
    expect(hist.runs.map((r) => r.runId)).toEqual([body.runId]);
  });
});
