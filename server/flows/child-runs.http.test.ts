/**
 * Child runs started inside deployed endpoint calls and evaluation rows are stored as run
 * records, like builder runs' children: `GET /api/runs/:id/children` pages them under the
 * call's trace id or the row's run id, and each reads like any run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResult } from '../../shared/api/deployment';
import { startDeployServer, type DeployServer } from '../deployment/testing';
import { mapFlow, upperFlow } from '../runtime/composition-fixtures';
import { readSse } from '../../test/http/harness';
import { deploymentRuntime } from '../deployment/runtime';

let s: DeployServer;

beforeAll(async () => {
  s = await startDeployServer({
    flows: [upperFlow('upper', 'input & "!"'), mapFlow('upper', { concurrency: 3 }, 'mapper'), upperFlow('plain')],
  });
});
afterAll(async () => {
  await s?.close();
});

interface ChildPage {
  runs: Array<{
    runId: string;
    flowId: string;
    status: string;
    source: string;
    parent: { runId: string; nodeId: string; iteration: number; rootRunId: string };
  }>;
  total: number;
}

async function json<T>(res: Response): Promise<T> {
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return (await res.json()) as T;
}

describe('child runs of deployed endpoint calls', () => {
  it('are stored under the call trace id, paged in item order, each readable as a run', async () => {
    const d = await json<DeployResult>(await s.api('/api/flows/mapper/deployments', { method: 'POST', json: {} }));
    const items = Array.from({ length: 6 }, (_, i) => `項目${i}`);
    const call = await json<{ outputs: { outs: string[] }; traceId: string }>(
      await s.call(`/v1/endpoints/${d.slug}`, d.apiKey!, { inputs: { items } }),
    );
    expect(call.outputs.outs).toEqual(items.map((t) => `${t}!`));

    const page = await json<ChildPage>(await s.api(`/api/runs/${call.traceId}/children?nodeId=each&limit=4`));
    expect(page.total).toBe(6);
    expect(page.runs.map((r) => r.parent.iteration)).toEqual([0, 1, 2, 3]);
    expect(page.runs.every((r) => r.source === 'deployment' && r.flowId === 'upper' && r.status === 'succeeded')).toBe(
      true,
    );
    expect(page.runs[0].parent).toMatchObject({ runId: call.traceId, rootRunId: call.traceId, nodeId: 'each' });
    const rest = await json<ChildPage>(await s.api(`/api/runs/${call.traceId}/children?nodeId=each&offset=4`));
    expect(rest.runs.map((r) => r.parent.iteration)).toEqual([4, 5]);

    const child = await json<{ inputs: Record<string, unknown>; outputs: Record<string, unknown> }>(
      await s.api(`/api/runs/${page.runs[2].runId}`),
    );
    expect(child.inputs).toEqual({ text: '項目2' });
    expect(child.outputs).toEqual({ out: '項目2!' });

    // The call's own trace stays in the request log: no run record, and still no history row.
    const history = await json<{ runs: unknown[] }>(await s.api('/api/flows/mapper/runs'));
    expect(history.runs).toEqual([]);
  });

  it('are masked like the request log when the deployment redacts PII', async () => {
    const d = await json<DeployResult>(
      await s.api('/api/flows/mapper/deployments', { method: 'POST', json: { slug: 'pii-map' } }),
    );
    await json(await s.api(`/api/deployments/${d.slug}`, { method: 'PATCH', json: { settings: { redactPii: true } } }));
    const email = 'taro.yamada@example.jp';
    const call = await json<{ outputs: { outs: string[] }; traceId: string }>(
      await s.call(`/v1/endpoints/${d.slug}`, d.apiKey!, { inputs: { items: [`連絡先 ${email}`] } }),
    );
    expect(call.outputs.outs).toEqual([`連絡先 ${email}!`]); // the caller gets the answer as it is
    const page = await json<ChildPage>(await s.api(`/api/runs/${call.traceId}/children`));
    const stored = JSON.stringify(await json(await s.api(`/api/runs/${page.runs[0].runId}`)));
    expect(stored).toContain('連絡先');
    expect(stored).toContain('[email]');
    expect(stored).not.toContain(email);
  });

  it('are deleted with the request log rows they belong to (retention)', async () => {
    const d = await json<DeployResult>(
      await s.api('/api/flows/mapper/deployments', { method: 'POST', json: { slug: 'retained-map' } }),
    );
    const call = await json<{ traceId: string }>(
      await s.call(`/v1/endpoints/${d.slug}`, d.apiKey!, { inputs: { items: ['a', 'b'] } }),
    );
    expect((await json<ChildPage>(await s.api(`/api/runs/${call.traceId}/children`))).total).toBe(2);
    const rt = deploymentRuntime(s.server.app.context);
    await rt.logs.flush();
    await rt.prune(Date.now() - 86_400_000); // nothing is past 30 days yet: kept
    expect((await json<ChildPage>(await s.api(`/api/runs/${call.traceId}/children`))).total).toBe(2);
    await rt.prune(Date.now() + 31 * 86_400_000); // 31 days later
    expect((await s.api(`/api/runs/${call.traceId}/children`)).status).toBe(404);
  });

  it('a call of a flow without child runs has none (404 like an unknown id)', async () => {
    const d = await json<DeployResult>(await s.api('/api/flows/plain/deployments', { method: 'POST', json: {} }));
    const call = await json<{ traceId: string }>(
      await s.call(`/v1/endpoints/${d.slug}`, d.apiKey!, { inputs: { text: 'a' } }),
    );
    expect((await s.api(`/api/runs/${call.traceId}/children`)).status).toBe(404);
  });
});

describe('child runs of evaluation rows', () => {
  it('are stored under each row run id', async () => {
    const rows = [
      { items: ['甲', '乙'], answer: 'x' },
      { items: ['丙', '丁', '戊'], answer: 'y' },
    ];
    const up = await json<{ dataset: { id: string } }>(
      await s.api('/api/datasets?name=%E8%A9%95%E4%BE%A1', { method: 'POST', json: rows }),
    );
    const created = await json<{ evaluation: { id: string } }>(
      await s.api('/api/evaluations', {
        method: 'POST',
        json: {
          flowId: 'mapper',
          datasetId: up.dataset.id,
          config: { mapping: { items: 'items' }, expected: 'answer', metrics: ['exact_match'], concurrency: 2 },
        },
      }),
    );
    const id = created.evaluation.id;
    const frames = await readSse(await s.api(`/api/evaluations/${id}/events`));
    expect(frames.at(-1)?.event).toBe('finished');
    const results = await json<{ rows: Array<{ rowIdx: number; runId: string; status: string }> }>(
      await s.api(`/api/evaluations/${id}/results`),
    );
    expect(results.rows).toHaveLength(2);
    for (const row of results.rows) {
      const page = await json<ChildPage>(await s.api(`/api/runs/${row.runId}/children`));
      const expected = rows[row.rowIdx].items;
      expect(page.total).toBe(expected.length);
      expect(page.runs.every((r) => r.source === 'evaluation' && r.parent.rootRunId === row.runId)).toBe(true);
      const first = await json<{ outputs: Record<string, unknown> }>(await s.api(`/api/runs/${page.runs[0].runId}`));
      expect(first.outputs).toEqual({ out: `${expected[0]}!` });
    }
  });
});
