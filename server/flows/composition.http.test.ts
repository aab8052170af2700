/**
 * Flows that call flows, end to end on a real server: the flow loader (unknown child,
 * child with problems, cross-flow cycles), child runs stored as their own records and
 * paged, and deployments that snapshot the whole closure (editing a child file after
 * deploy does not change the deployed answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import type { DeployResult } from '../../shared/api/deployment';
import { startDeployServer, type DeployServer } from '../deployment/testing';
import { makeFlow, mapFlow, node, upperFlow } from '../runtime/composition-fixtures';

let s: DeployServer;

function caller(id: string, child: string): Flow {
  return makeFlow(
    id,
    [{ name: 'q', type: 'string', required: true }],
    [{ name: 'a', type: 'any' }],
    [node('call', 'subflow', { flow: child })],
    [
      ['inputs', 'q', 'call', 'text'],
      ['call', 'out', 'outputs', 'a'],
    ],
  );
}

beforeAll(async () => {
  s = await startDeployServer({
    flows: [
      upperFlow('upper', 'input & "!"'),
      mapFlow('upper', { concurrency: 3 }, 'mapper'),
      caller('caller', 'upper'),
    ],
  });
});
afterAll(async () => {
  await s?.close();
});

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('flow loader over the flows folder', () => {
  it('a flow calling a flow validates; ports come from the called flow', async () => {
    const res = await json<{ valid: boolean; problems: unknown[] }>(
      await s.api('/api/flows/caller/validate', { method: 'POST' }),
    );
    expect(res).toEqual({ valid: true, problems: [] });
  });

  it('reports an unknown called flow, a called flow with problems, and cycles named in full', async () => {
    s.writeFlow(caller('ghost-caller', 'ghost'));
    const ghost = await json<{ valid: boolean; problems: Array<{ code: string; path: string }> }>(
      await s.api('/api/flows/ghost-caller/validate', { method: 'POST' }),
    );
    expect(ghost.valid).toBe(false);
    expect(ghost.problems).toContainEqual(
      expect.objectContaining({ code: 'unknown_flow', path: 'nodes[1].config.flow' }),
    );

    const broken = upperFlow('broken');
    broken.edges = [broken.edges[1]]; // the transform's required input is not connected
    s.writeFlow(broken);
    s.writeFlow(caller('broken-caller', 'broken'));
    const bc = await json<{ valid: boolean; problems: Array<{ code: string; message: string }> }>(
      await s.api('/api/flows/broken-caller/validate', { method: 'POST' }),
    );
    expect(bc.problems).toContainEqual(
      expect.objectContaining({
        code: 'child_flow_invalid',
        message: expect.stringContaining('flow "broken" has 1 problem(s); first: nodes[1].values.input'),
      }),
    );

    // ping → pong → ping, both take `text` and give `out`
    const loopish = (id: string, other: string): Flow => ({
      ...caller(id, other),
      inputs: [{ name: 'text', type: 'any', required: true }],
      outputs: [{ name: 'out', type: 'any' }],
      edges: [
        { source: 'inputs', sourcePort: 'text', target: 'call', targetPort: 'text' },
        { source: 'call', sourcePort: 'out', target: 'outputs', targetPort: 'out' },
      ],
    });
    s.writeFlow(loopish('ping', 'pong'));
    s.writeFlow(loopish('pong', 'ping'));
    const cyc = await json<{ valid: boolean; problems: Array<{ code: string; message: string; path: string }> }>(
      await s.api('/api/flows/ping/validate', { method: 'POST' }),
    );
    expect(cyc.valid).toBe(false);
    expect(cyc.problems).toEqual([
      expect.objectContaining({
        code: 'flow_cycle',
        message: 'flows call each other in a circle: ping → pong → ping',
        path: 'nodes[1].config.flow',
      }),
    ]);
    // ... and the cycle never runs
    const run = await s.api('/api/flows/ping/runs', { method: 'POST', json: { inputs: { text: 'x' } } });
    expect(run.status).toBe(422);
  });

  it('the flows list counts a caller of an unknown flow as invalid, a caller of a valid one as valid', async () => {
    const list = await json<{ flows: Array<{ id: string; valid: boolean }> }>(await s.api('/api/flows'));
    const byId = Object.fromEntries(list.flows.map((f) => [f.id, f.valid]));
    expect(byId.caller).toBe(true);
    expect(byId.mapper).toBe(true);
    expect(byId['ghost-caller']).toBe(false);
  });
});

describe('child runs are their own records, paged', () => {
  it('a map run stores one child run per item, in item order, and each reads like any run', async () => {
    const items = Array.from({ length: 7 }, (_, i) => `文書${i}`);
    const res = await s.api('/api/flows/mapper/runs', { method: 'POST', json: { inputs: { items } } });
    expect(res.status).toBe(200);
    const run = await json<{ runId: string; outputs: { outs: string[] } }>(res);
    expect(run.outputs.outs).toEqual(items.map((t) => `${t}!`));

    const page1 = await json<{
      runs: Array<{
        runId: string;
        flowId: string;
        status: string;
        parent: { iteration: number; nodeId: string; rootRunId: string };
      }>;
      total: number;
    }>(await s.api(`/api/runs/${run.runId}/children?nodeId=each&limit=5`));
    expect(page1.total).toBe(7);
    expect(page1.runs.map((r) => r.parent.iteration)).toEqual([0, 1, 2, 3, 4]);
    expect(page1.runs.every((r) => r.flowId === 'upper' && r.status === 'succeeded')).toBe(true);
    expect(page1.runs[0].parent).toMatchObject({ nodeId: 'each', rootRunId: run.runId });
    const page2 = await json<{ runs: Array<{ parent: { iteration: number } }> }>(
      await s.api(`/api/runs/${run.runId}/children?nodeId=each&offset=5&limit=5`),
    );
    expect(page2.runs.map((r) => r.parent.iteration)).toEqual([5, 6]);

    const child = await json<{
      flowId: string;
      outputs: Record<string, unknown>;
      trace: { parent: { runId: string } };
    }>(await s.api(`/api/runs/${page1.runs[3].runId}`));
    expect(child.outputs).toEqual({ out: '文書3!' });
    expect(child.trace.parent.runId).toBe(run.runId);

    // the flow's run history lists root runs only
    const history = await json<{ runs: Array<{ runId: string }> }>(await s.api('/api/flows/upper/runs'));
    expect(history.runs).toEqual([]);
    expect((await s.api(`/api/runs/${run.runId}/children?limit=0`)).status).toBe(400);
    expect((await s.api('/api/runs/nope/children')).status).toBe(404);
  });
});

describe('deployments snapshot the closure', () => {
  it('editing a called flow after deploy does not change the deployed answer', async () => {
    const dep = await s.api('/api/flows/caller/deployments', { method: 'POST', json: {} });
    expect(dep.status).toBe(201);
    const d = await json<DeployResult>(dep);
    expect(d.flows).toEqual(['caller', 'upper']);
    const ask = async () =>
      json<{ outputs: { a: string } }>(await s.call(`/v1/endpoints/${d.slug}`, d.apiKey!, { inputs: { q: 'やあ' } }));
    expect((await ask()).outputs.a).toBe('やあ!');

    s.writeFlow(upperFlow('upper', 'input & "?"')); // edit the child file
    const builder = await json<{ outputs: { a: string } }>(
      await s.api('/api/flows/caller/runs', { method: 'POST', json: { inputs: { q: 'やあ' } } }),
    );
    expect(builder.outputs.a).toBe('やあ?'); // the builder runs the folder's current files
    expect((await ask()).outputs.a).toBe('やあ!'); // the deployment runs its snapshot

    const detail = await json<{ versions: Array<{ flows: string[] }> }>(await s.api(`/api/deployments/${d.slug}`));
    expect(detail.versions[0].flows).toEqual(['caller', 'upper']);
  });
});
