/**
 * No request smuggles a flow or config into a run: stored flows run with declared inputs
 * only; ids, slugs and flows in bodies never override the ones in paths or keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../http/harness';

const evilFlow = {
  schemaVersion: 1,
  id: 'evil',
  name: 'evil',
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [{ name: 'stats', type: 'json' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'stats',
      type: 'tool',
      position: { x: 1, y: 0 },
      config: {
        kind: 'code',
        code: 'return { smuggled: true };',
        inputs: [{ name: 'text', type: 'string', required: true }],
      },
    },
    { id: 'outputs', type: 'output', position: { x: 2, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: 'stats', targetPort: 'text' },
    { source: 'stats', sourcePort: 'result', target: 'outputs', targetPort: 'stats' },
  ],
};

describe('request smuggling of flows, config and ids', () => {
  let h: Harness;
  let keyA = '';
  let keyB = '';
  beforeAll(async () => {
    h = await startHarness();
    const a = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'dep-a' } });
    expect(a.status).toBe(201);
    keyA = ((await a.json()) as { apiKey: string }).apiKey;
    const b = await h.api('/api/flows/router/deployments', { method: 'POST', json: { slug: 'dep-b' } });
    expect(b.status).toBe(201);
    keyB = ((await b.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await h.close();
  });

  const call = (p: string, key: string, body: unknown) =>
    fetch(`${h.url}${p}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('PUT /api/flows/a with a body naming id b saves a, never b', async () => {
    const got = (await (await h.api('/api/flows/code-tool')).json()) as { flow: Record<string, unknown>; etag: string };
    const res = await h.api('/api/flows/code-tool', {
      method: 'PUT',
      json: { ...got.flow, id: 'other-flow', name: 'renamed' },
      headers: { 'if-match': got.etag },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { flow: { id: string } }).flow.id).toBe('code-tool');
    expect(fs.existsSync(path.join(h.flowsDir, 'other-flow.flow.json'))).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(h.flowsDir, 'code-tool.flow.json'), 'utf8')).id).toBe('code-tool');
    expect((await h.api('/api/flows/other-flow')).status).toBe(404);
    // validate: the path id wins too
    const v = await h.api('/api/flows/qa/validate', { method: 'POST', json: { ...evilFlow, id: 'evil' } });
    expect(v.status).toBe(200);
  });

  it('a builder run refuses a flow, nodes or config in the body; nothing runs', async () => {
    const res = await h.api('/api/flows/code-tool/runs', {
      method: 'POST',
      json: {
        inputs: { text: 'a b a' },
        flow: evilFlow,
        nodes: evilFlow.nodes,
        edges: evilFlow.edges,
        config: { code: 'return 1' },
        flowId: 'evil',
        id: 'evil',
      },
    });
    // The run body is { inputs, mode } (shared/api/runs.ts): anything else is named and refused.
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('invalid_body');
    for (const key of ['flow', 'nodes', 'edges', 'config', 'flowId', 'id']) expect(err.error.message).toContain(key);
    const runs = (await (await h.api('/api/flows/code-tool/runs')).json()) as { runs: unknown[] };
    expect(runs.runs).toHaveLength(0);
    // The stored flow still runs as stored.
    const ok = await h.api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: 'a b a' } } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { outputs: { stats: Record<string, unknown> }; trace: { flowId: string } };
    expect(body.outputs.stats.smuggled).toBeUndefined();
    expect(body.outputs.stats.words).toBe(3);
    expect(body.trace.flowId).toBe('code-tool');
  });

  it('undeclared inputs are refused (builder run and deployed endpoint)', async () => {
    const run = await h.api('/api/flows/code-tool/runs', {
      method: 'POST',
      json: { inputs: { text: 'x', code: 'return 1', __flow: evilFlow } },
    });
    expect(run.status).toBe(400);
    const ep = await call('/v1/endpoints/dep-a', keyA, { inputs: { text: 'x', code: 'return 1' } });
    expect(ep.status).toBe(400);
    expect(((await ep.json()) as { error: { code: string } }).error.code).toBe('invalid_inputs');
  });

  it('a deployed endpoint runs its snapshot whatever the body names (slug, flowId, flow, version)', async () => {
    const res = await call('/v1/endpoints/dep-a', keyA, {
      inputs: { text: 'one two' },
      slug: 'dep-b',
      flowId: 'router',
      flow: evilFlow,
      version: 99,
      deployment: 'dep-b',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { stats: Record<string, unknown> } };
    expect(body.outputs.stats.words).toBe(2);
    expect(body.outputs.stats.smuggled).toBeUndefined();
    // and the flow file changing does not change the deployed snapshot
    fs.writeFileSync(
      path.join(h.flowsDir, 'code-tool.flow.json'),
      JSON.stringify({ ...evilFlow, id: 'code-tool' }, null, 2),
    );
    const again = await call('/v1/endpoints/dep-a', keyA, { inputs: { text: 'one two' } });
    expect(
      ((await again.json()) as { outputs: { stats: Record<string, unknown> } }).outputs.stats.smuggled,
    ).toBeUndefined();
  });

  it('keys are bound to their deployment: path slug, chat model and feedback cannot cross over', async () => {
    expect((await call('/v1/endpoints/dep-b', keyA, { inputs: {} })).status).toBe(403);
    expect((await call('/v1/endpoints/dep-a', keyB, { inputs: { text: 'x' } })).status).toBe(403);
    const chat = await call('/v1/chat/completions', keyA, {
      model: 'dep-b',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(chat.status).toBe(403);
    const models = (await (
      await fetch(`${h.url}/v1/models`, { headers: { authorization: `Bearer ${keyA}` } })
    ).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(['dep-a']);
    // feedback on a trace of dep-a, sent to dep-b with dep-b's key: not found there
    const ok = await call('/v1/endpoints/dep-a', keyA, { inputs: { text: 'x y' } });
    const { traceId } = (await ok.json()) as { traceId: string };
    expect((await call('/v1/endpoints/dep-b/feedback', keyB, { traceId, score: 'down' })).status).toBe(404);
    expect((await call('/v1/endpoints/dep-a/feedback', keyB, { traceId, score: 'down' })).status).toBe(403);
    expect((await call('/v1/endpoints/dep-a/feedback', keyA, { traceId, score: 'up' })).status).toBe(200);
  });

  it('deploying flow a onto a slug that serves flow b is refused; a body flow is refused', async () => {
    const res = await h.api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'dep-a' } });
    expect(res.status).toBe(409);
    const smuggled = await h.api('/api/flows/router/deployments', {
      method: 'POST',
      json: { slug: 'dep-b', flow: evilFlow, flowId: 'evil' },
    });
    // The deploy body names no flow (shared/api/deployment.ts): a flow in it is refused, nothing stored.
    expect(smuggled.status).toBe(400);
    const err = (await smuggled.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('invalid_body');
    expect(err.error.message).toContain('flow');
    const before = (await (await h.api('/api/deployments/dep-b')).json()) as { latestVersion: number };
    const res2 = await h.api('/api/flows/router/deployments', { method: 'POST', json: { slug: 'dep-b' } });
    // the router file is unchanged since dep-b's live version, so nothing new is stored
    // (200 unchanged) and the live version still serves the router
    expect(res2.status).toBe(200);
    const body2 = (await res2.json()) as { unchanged?: boolean; version: number };
    expect(body2.unchanged).toBe(true);
    const detail = (await (await h.api('/api/deployments/dep-b')).json()) as { flowId: string; latestVersion: number };
    expect(detail.flowId).toBe('router');
    expect(detail.latestVersion).toBe(before.latestVersion);
    const v = (await (await h.api(`/api/deployments/dep-b/versions/${body2.version}`)).json()) as {
      flow: { id: string; nodes: Array<{ id: string }> };
    };
    expect(v.flow.id).toBe('router');
    expect(v.flow.nodes.some((n) => n.id === 'stats')).toBe(false);
  });
});
