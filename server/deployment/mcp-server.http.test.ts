/**
 * Braid's MCP server (`POST /v1/mcp`) driven by the official SDK client over Streamable
 * HTTP: list the deployment's tool, call it, and a wrong key is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { waitFor } from '../../test/http/harness';
import type { DeployResult, LogPage } from '../../shared/api/deployment';
import { promptFlow, startDeployServer, type DeployServer } from './testing';

let fake: FakeOpenAI;
let s: DeployServer;
let key = '';
let otherKey = '';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  fake.setResponder((req) => `答え: ${String(req.messages.at(-1)?.content ?? '')}`);
  s = await startDeployServer({
    openaiUrl: fake.url,
    flows: [promptFlow('greeter', 'Be brief'), promptFlow('other', 'X')],
  });
  for (const id of ['greeter', 'other']) {
    const res = await s.api(`/api/flows/${id}/deployments`, { method: 'POST', json: {} });
    expect(res.status).toBe(201);
    const d = (await res.json()) as DeployResult;
    if (id === 'greeter') key = d.apiKey ?? '';
    else otherKey = d.apiKey ?? '';
  }
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

async function connect(bearer: string): Promise<Client> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${s.url}/v1/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${bearer}` } },
    }),
  );
  return client;
}

describe('deployments as MCP tools', () => {
  it('lists the deployment the key may call, with the flow inputs as its schema, and calls it', async () => {
    const client = await connect(key);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['greeter']);
      expect(tools[0]!.inputSchema).toMatchObject({
        type: 'object',
        properties: { question: { type: 'string' } },
        required: ['question'],
      });
      const r = await client.callTool({ name: 'greeter', arguments: { question: 'こんにちは' } });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toEqual({ answer: '答え: こんにちは' });
      expect((r.content as Array<{ text: string }>)[0]!.text).toBe('答え: こんにちは');
      const traceId = (r._meta as { traceId: string }).traceId;
      // usage and the request log, as for the HTTP endpoint
      const page = await waitFor(async () => {
        const p = (await (await s.api('/api/deployments/greeter/logs')).json()) as LogPage;
        return p.items.find((i) => i.traceId === traceId);
      });
      expect(page).toMatchObject({ api: 'mcp', status: 'succeeded' });
      expect(page!.totalTokens).toBeGreaterThan(0);

      const bad = await client.callTool({ name: 'greeter', arguments: { question: 7 } });
      expect(bad.isError).toBe(true);
      expect((bad.content as Array<{ text: string }>)[0]!.text).toMatch(/invalid_inputs/);
      const other = await client.callTool({ name: 'other', arguments: { question: 'x' } });
      expect(other.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('each key sees only its own deployment', async () => {
    const client = await connect(otherKey);
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['other']);
    } finally {
      await client.close();
    }
  });

  it('refuses a wrong key before any MCP processing (401)', async () => {
    await expect(connect('bk_wrong_key_0000000000000000000000')).rejects.toThrow(/401|unauthorized|invalid API key/i);
    const res = await fetch(`${s.url}/v1/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const get = await fetch(`${s.url}/v1/mcp`, { headers: { authorization: `Bearer ${key}` } });
    expect(get.status).toBe(405);
  });
});
