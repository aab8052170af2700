/** The batched child-run writer on SQLite and PostgreSQL: coalescing, upsert over start rows, batches. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunParent, Trace } from '../../shared';
import { openTestStorage, postgresReachable, type TestStorage } from '../../test/support/storage';
import { RunsRepository } from '../storage/runs';
import { ChildRunWriter, startsChildRuns } from './child-runs';
import { mapFlow, upperFlow } from '../runtime/composition-fixtures';

const pgUp = await postgresReachable();
const SECRET = 'sk-secret-0123456789abcdef';

function parent(iteration: number, root = 'root-w'): RunParent {
  return { runId: root, nodeId: 'each', iteration, rootRunId: root, depth: 1 };
}
function trace(runId: string, iteration: number, root?: string, status: Trace['status'] = 'succeeded'): Trace {
  return {
    runId,
    flowId: 'upper',
    status,
    startedAt: 1_700_000_000_000 + iteration,
    durationMs: 3,
    inputs: { text: `項目${iteration} ${SECRET}` },
    outputs: { out: `項目${iteration}!` },
    spans: [],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
    parent: parent(iteration, root),
  };
}

describe.each([
  ['sqlite', true],
  ['postgres', pgUp],
] as const)('ChildRunWriter on %s', (dialect, enabled) => {
  let t: TestStorage;
  let runs: RunsRepository;
  beforeAll(async () => {
    if (!enabled) return;
    t = await openTestStorage(dialect);
    runs = new RunsRepository(t.storage);
  });
  afterAll(async () => {
    if (enabled) await t.dispose();
  });

  it.skipIf(!enabled)(
    'settled(id) hurries nothing for a run with no queued record, and writes and waits for one that has',
    async () => {
      const w = new ChildRunWriter(runs, [SECRET], { flushMs: 10_000 });
      w.add(trace('s-a', 0, 'root-sa'), 'api');
      w.add(trace('s-b', 0, 'root-sb'), 'api');
      await w.settled('root-nobody'); // nothing of it queued: nothing written
      expect(await runs.get('s-a')).toBeUndefined();
      await w.settled('root-sa');
      expect((await runs.get('s-a'))?.status).toBe('succeeded');
      expect((await runs.listChildren('root-sa')).total).toBe(1);
      // Writing is batched: the other run's record went in the same batch.
      expect((await runs.get('s-b'))?.status).toBe('succeeded');
      w.add(trace('s-c', 1, 'root-sc'), 'api');
      await w.settled('s-c'); // by its own id
      expect((await runs.get('s-c'))?.status).toBe('succeeded');
    },
  );

  it.skipIf(!enabled)(
    'writes a child that ends within the window once, finished; a written start row is upserted',
    async () => {
      const w = new ChildRunWriter(runs, [SECRET], { flushMs: 10_000 });
      const insertStarted = vi.spyOn(runs, 'insertStartedMany');
      w.started({
        runId: 'c0',
        flowId: 'upper',
        startedAt: 1,
        inputs: { text: 'a' },
        source: 'api',
        parent: parent(0),
      });
      w.started({
        runId: 'c1',
        flowId: 'upper',
        startedAt: 2,
        inputs: { text: 'b' },
        source: 'api',
        parent: parent(1),
      });
      w.add(trace('c0', 0), 'api'); // before any flush: replaces its start
      await w.flush();
      expect(insertStarted.mock.calls.map((c) => c[0].map((r) => r.runId))).toEqual([['c1']]);
      expect((await runs.get('c1'))?.status).toBe('running');
      w.add(trace('c1', 1, undefined, 'cancelled'), 'api'); // its start row is written: upserted
      await w.flush();
      const page = await runs.listChildren('root-w');
      expect(page.runs.map((r) => [r.runId, r.status, r.parent?.iteration])).toEqual([
        ['c0', 'succeeded', 0],
        ['c1', 'cancelled', 1],
      ]);
      const c1 = await runs.get('c1');
      expect(c1?.outputs).toEqual({ out: '項目1!' });
      expect(c1?.trace?.runId).toBe('c1');
    },
  );

  it.skipIf(!enabled)('listener: redacts secrets, skips root runs, writes in batches of maxBatch', async () => {
    const w = new ChildRunWriter(runs, [SECRET], { maxBatch: 3, flushMs: 10_000 });
    const insert = vi.spyOn(runs, 'insertFinished');
    const listen = w.listener(mapFlow('upper', {}, 'm'), 'deployment', (tr) => ({ ...tr, flowId: 'masked' }))!;
    for (let i = 0; i < 7; i++)
      listen({ type: 'run_finished', runId: `d${i}`, at: 0, trace: trace(`d${i}`, i, 'root-d') });
    const { parent: _none, ...root } = trace('root-d', 0);
    listen({ type: 'run_finished', runId: 'root-d', at: 0, trace: root });
    await w.flush();
    expect(insert.mock.calls.map((c) => c[0].length)).toEqual([3, 3, 1]);
    const page = await runs.listChildren('root-d', { limit: 10 });
    expect(page.total).toBe(7);
    expect(page.runs.every((r) => r.source === 'deployment' && r.flowId === 'masked')).toBe(true);
    const d3 = await runs.get('d3');
    expect(JSON.stringify(d3)).not.toContain(SECRET);
    expect(d3?.inputs).toEqual({ text: '項目3 [redacted]' });
    expect(await runs.get('root-d')).toBeUndefined();
  });
});

describe('startsChildRuns', () => {
  it('is true for flows with subflow, map, loop or agent nodes only', () => {
    expect(startsChildRuns(mapFlow('upper'))).toBe(true);
    expect(startsChildRuns(upperFlow())).toBe(false);
  });
});
