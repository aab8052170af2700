/** Child runs as their own records, paged by parent and node, on SQLite and PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Trace } from '../../shared';
import { openTestStorage, postgresReachable, type TestStorage } from '../../test/support/storage';
import { RunsRepository } from './runs';

const pgUp = await postgresReachable();

function childTrace(runId: string, iteration: number): Trace {
  return {
    runId,
    flowId: 'child',
    status: iteration === 2 ? 'failed' : 'succeeded',
    startedAt: 1_700_000_000_000 + (9 - iteration), // started out of item order
    durationMs: 5,
    inputs: { text: `項目${iteration}` },
    outputs: { out: `項目${iteration}!` },
    spans: [],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
    parent: { runId: 'root', nodeId: 'each', iteration, rootRunId: 'root', depth: 1 },
  };
}

describe.each([
  ['sqlite', true],
  ['postgres', pgUp],
] as const)('run tree storage on %s', (dialect, enabled) => {
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

  it.skipIf(!enabled)('stores children with their parent and pages them in item order', async () => {
    await runs.insertStarted({ runId: 'root', flowId: 'parent', startedAt: 1_699_999_999_000, inputs: {} });
    for (let i = 9; i >= 0; i--) {
      const tr = childTrace(`c${i}`, i);
      if (i % 2 === 0)
        await runs.insertStarted({
          runId: tr.runId,
          flowId: 'child',
          startedAt: tr.startedAt,
          inputs: tr.inputs,
          parent: tr.parent,
        });
      await runs.finish(tr); // odd ones: inserted by finish, parent columns from the trace
    }
    await runs.insertStarted({
      runId: 'other',
      flowId: 'child',
      startedAt: 1,
      inputs: {},
      parent: { runId: 'root', nodeId: 'again', rootRunId: 'root', depth: 1 },
    });
    const first = await runs.listChildren('root', { nodeId: 'each', limit: 4 });
    expect(first.total).toBe(10);
    expect(first.runs.map((r) => r.runId)).toEqual(['c0', 'c1', 'c2', 'c3']);
    expect(first.runs[2]).toMatchObject({
      status: 'failed',
      parent: { runId: 'root', nodeId: 'each', iteration: 2, rootRunId: 'root' },
    });
    const last = await runs.listChildren('root', { nodeId: 'each', offset: 8, limit: 4 });
    expect(last.runs.map((r) => r.runId)).toEqual(['c8', 'c9']);
    expect((await runs.listChildren('root')).total).toBe(11);
    expect((await runs.get('c5'))?.trace?.parent?.iteration).toBe(5);
    // the flow's history lists root runs only
    expect((await runs.listByFlow('child')).runs).toEqual([]);
    expect((await runs.listByFlow('parent')).runs.map((r) => r.runId)).toEqual(['root']);
  });
});
