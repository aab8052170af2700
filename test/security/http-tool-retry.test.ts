/**
 * The http tool retries only safe methods (GET, HEAD) unless the node opts in with
 * `retryUnsafe: true`, and a transport-level failure (ECONNRESET…) is one attempt of the
 * node's budget like any other: calls are counted at a loopback target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import { loadConfig } from '../../server/config';
import { runFlow } from '../../server/runtime/index';
import type { RunServices } from '../../server/runtime/types';

let server: http.Server;
let base = '';
const calls: Record<string, number> = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const key = `${req.method} ${path}`;
    calls[key] = (calls[key] ?? 0) + 1;
    req.resume();
    req.on('end', () => {
      if (path === '/fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('内部エラー');
      } else if (path === '/reset') {
        req.socket.destroy(); // ECONNRESET / socket hang up at the client
      } else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  for (const k of Object.keys(calls)) delete calls[k];
});

const services: RunServices = { config: loadConfig({ BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1' }) };

function flowFor(method: string, path: string, extra: Record<string, unknown> = {}): Flow {
  return {
    schemaVersion: 1,
    id: 'http-retry',
    name: 'HTTP retry',
    inputs: [],
    outputs: [{ name: 'body', type: 'json' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'call',
        type: 'tool',
        position: { x: 200, y: 0 },
        retry: { max: 2, baseMs: 1 },
        config: {
          kind: 'http',
          method,
          url: `${base}${path}`,
          ...(method === 'GET' ? {} : { body: '{"注文":1}' }),
          ...extra,
        },
      },
      { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [{ source: 'call', sourcePort: 'body', target: 'outputs', targetPort: 'body' }],
  };
}

async function run(method: string, path: string, extra: Record<string, unknown> = {}) {
  const res = await runFlow(flowFor(method, path, extra), {}, { services });
  return { res, calls: calls[`${method} ${path}`] ?? 0 };
}

describe('http tool retries', () => {
  it('does not retry POST, PUT, PATCH or DELETE on a 500', async () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const { res, calls: n } = await run(m, '/fail');
      expect(res.status, m).toBe('failed');
      expect(n, m).toBe(1);
      expect(res.trace.error?.message).toMatch(/HTTP 500/);
    }
  });

  it('does not retry a POST whose connection was reset', async () => {
    const { res, calls: n } = await run('POST', '/reset');
    expect(res.status).toBe('failed');
    expect(n).toBe(1);
  });

  it('retries GET within the node budget: 3 calls for max 2, also when the connection is reset', async () => {
    expect((await run('GET', '/fail')).calls).toBe(3);
    const reset = await run('GET', '/reset');
    expect(reset.res.status).toBe('failed');
    expect(reset.calls).toBe(3);
  });

  it('retries an unsafe method when the node opts in (retryUnsafe), within the same budget', async () => {
    expect((await run('POST', '/fail', { retryUnsafe: true })).calls).toBe(3);
    expect((await run('POST', '/reset', { retryUnsafe: true })).calls).toBe(3);
  });

  it('still retries a POST that never reached the server (connection refused)', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const flow = flowFor('POST', '/x');
    (flow.nodes[1]!.config as Record<string, unknown>).url = `http://127.0.0.1:${port}/x`;
    const res = await runFlow(flow, {}, { services });
    expect(res.status).toBe('failed');
    expect(res.trace.spans.find((s) => s.nodeId === 'call')?.attempts).toBe(3);
  });
});
