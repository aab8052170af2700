import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { promptFlow, startDeployServer, type DeployServer } from './testing';

const ADMIN = 'admin-token-0123456789abcdef';
let fake: FakeOpenAI;
let s: DeployServer;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: fake.url,
    flows: [promptFlow('locked', 'S')],
    env: { BRAID_ADMIN_TOKEN: ADMIN },
  });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('with BRAID_ADMIN_TOKEN set', () => {
  it('deploying needs the admin token; endpoints need only their key; /metrics needs the admin token', async () => {
    expect((await s.api('/api/flows/locked/deployments', { method: 'POST', json: {} })).status).toBe(401);
    const res = await s.api('/api/flows/locked/deployments', {
      method: 'POST',
      json: {},
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(201);
    const { apiKey } = (await res.json()) as { apiKey: string };

    const call = await s.call('/v1/endpoints/locked', apiKey, { inputs: { question: 'q' } });
    expect(call.status).toBe(200);
    // The admin token is not a deployment key.
    expect((await s.call('/v1/endpoints/locked', ADMIN, { inputs: { question: 'q' } })).status).toBe(401);
    // A deployment key opens nothing under /api.
    expect((await s.api('/api/deployments', { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401);

    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401);
    const m = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(m.status).toBe(200);
    const text = await m.text();
    expect(text).toContain('braid_endpoint_requests_total{deployment="locked"');
    expect(text).not.toContain(ADMIN);
  });
});
