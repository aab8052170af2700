/**
 * The process must survive (issue 9, items 1–3): each class of hostile request is sent to a
 * REAL server process (`node bin/braid.js serve`), and `/api/health` must still answer after
 * it. Before the fixes, each of these ended the process:
 * - a fetch whose connect fails at once (ENETUNREACH / EADDRNOTAVAIL / EINVAL), by the HTTP
 *   tool or knowledge-base URL ingestion;
 * - a multipart upload whose closing boundary never comes;
 * - a JSONata builtin that builds a huge value;
 * and an ingest item the process did not survive was replayed at every start, forever.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postRaw, truncatedMultipart } from './support';
import { killAllServers, spawnServer, type SpawnedServer } from '../support/spawn-server';

const DNS_HOOK = pathToFileURL(fileURLToPath(new URL('./fixtures/unroutable-dns.mjs', import.meta.url))).href;

type Server = SpawnedServer;

/** Start `braid serve` (with the DNS hook) on a free loopback port; resolves once it answers /api/health. */
const serve = (dir: string, env: Record<string, string> = {}): Promise<Server> =>
  spawnServer({ dir, env, nodeArgs: ['--import', DNS_HOOK] });

async function api(s: Server, p: string, json?: unknown): Promise<Response> {
  return fetch(`${s.url}${p}`, {
    method: json === undefined ? 'GET' : 'POST',
    ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
  });
}

async function expectAlive(s: Server): Promise<void> {
  const res = await api(s, '/api/health').catch((e: unknown) => e);
  expect(res, `the server died:\n${s.output().slice(-2000)}`).toBeInstanceOf(Response);
  expect((res as Response).status).toBe(200);
  expect(s.child.exitCode).toBeNull();
}

function flowFile(id: string, node: Record<string, unknown>, inPort: string, outPort: string): string {
  return JSON.stringify({
    schemaVersion: 1,
    id,
    name: id,
    inputs: [{ name: 'x', type: 'string', required: true }],
    outputs: [{ name: 'y', type: 'json' }],
    nodes: [
      { id: 'in', type: 'input', position: { x: 0, y: 0 } },
      { id: 'n', position: { x: 0, y: 0 }, ...node },
      { id: 'out', type: 'output', position: { x: 0, y: 0 } },
    ],
    edges: [
      { source: 'in', sourcePort: 'x', target: 'n', targetPort: inPort },
      { source: 'n', sourcePort: outPort, target: 'out', targetPort: 'y' },
    ],
  });
}

let dir: string;
let server: Server;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-survival-'));
  fs.mkdirSync(path.join(dir, 'flows'));
  fs.writeFileSync(
    path.join(dir, 'flows', 'unroutable.flow.json'),
    flowFile(
      'unroutable',
      {
        type: 'tool',
        config: { kind: 'http', method: 'GET', url: 'http://v6-only.test:9/{{x}}', responseType: 'text' },
      },
      'x',
      'body',
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'flows', 'pad.flow.json'),
    flowFile(
      'pad',
      {
        type: 'transform',
        config: {
          mode: 'jsonata',
          expression: '$pad(x, 300000000)',
          inputs: [{ name: 'x', type: 'string', required: true }],
        },
      },
      'x',
      'result',
    ),
  );
  server = await serve(dir, { BRAID_HTTP_ALLOW_HOSTS: 'v6-only.test' });
}, 90_000);

afterAll(() => {
  killAllServers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a real server survives', () => {
  it('an HTTP tool whose connection fails at once: the node fails with http_error', async () => {
    const res = await api(server, '/api/flows/unroutable/runs', { inputs: { x: 'こんにちは' } });
    const body = (await res.json()) as { status?: string; error?: { code: string; message: string } };
    expect(JSON.stringify(body)).toMatch(/http_error/);
    expect(JSON.stringify(body)).toMatch(/v6-only\.test/);
    await expectAlive(server);
  });

  it('knowledge-base URL ingestion of such a host: the job item fails', async () => {
    expect((await api(server, '/api/knowledge-bases', { name: 'web' })).status).toBe(201);
    const job = (await (
      await api(server, '/api/knowledge-bases/web/urls', { url: 'http://v6-only.test:9/資料' })
    ).json()) as {
      id: string;
    };
    let status = '';
    let items: Array<{ status: string; error?: { code: string } }> = [];
    for (let i = 0; i < 100 && !['failed', 'succeeded'].includes(status); i++) {
      await new Promise((r) => setTimeout(r, 100));
      ({ status, items } = (await (await api(server, `/api/knowledge-bases/web/jobs/${job.id}`)).json()) as {
        status: string;
        items: Array<{ status: string; error?: { code: string } }>;
      });
    }
    expect(status).toBe('failed');
    expect(items[0]).toMatchObject({ status: 'failed', error: { code: 'fetch_failed' } });
    await expectAlive(server);
  });

  it('a multipart upload whose closing boundary never comes: 400', async () => {
    const res = await postRaw(server.url, '/api/knowledge-bases/web/documents', truncatedMultipart('files', 'a.txt'));
    expect(res.status).toBe(400);
    const ds = await postRaw(server.url, '/api/datasets?name=cut', truncatedMultipart('file', 'a.csv'));
    expect(ds.status).toBe(400);
    await expectAlive(server);
  });

  it('a JSONata builtin that builds a huge string: the node fails with a JSONata limit error', async () => {
    const res = await api(server, '/api/flows/pad/runs', { inputs: { x: '東京' } });
    const text = JSON.stringify(await res.json());
    expect(text).toMatch(/jsonata_(timeout|resource_limit)/);
    await expectAlive(server);
  });
});

describe("the deployed endpoints' fast path survives hostile calls", () => {
  it('deep nesting, a body cut off mid-way, a lying Content-Length: each answered or dropped, never fatal', async () => {
    const dep = await api(server, '/api/flows/pad/deployments', {});
    expect(dep.status).toBe(201);
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    const call = (body: string) => fetch(`${server.url}/v1/endpoints/pad`, { method: 'POST', headers, body });
    // 900 KB of nesting (under the 1 MiB body limit): refused with 400, not a stack overflow
    const deep = await call(`{"inputs": {"x": "深い"}, "d": ${'['.repeat(450_000)}${']'.repeat(450_000)}}`);
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { error: { code: string } }).error.code).toMatch(/^(too_deep|invalid_json)$/);
    await expectAlive(server);
    // a body that stops half-way and a Content-Length larger than what is sent
    const u = new URL(server.url);
    for (const declared of ['5000', '999999']) {
      await new Promise<void>((resolve) => {
        const req = http.request({
          host: u.hostname,
          port: u.port,
          method: 'POST',
          path: '/v1/endpoints/pad',
          agent: false,
          headers: { ...headers, 'content-length': declared },
        });
        req.on('error', () => resolve());
        req.write('{"inputs": {"x": "途中');
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
      await expectAlive(server);
    }
    // and a well-formed call still runs on the same path
    const ok = await call(JSON.stringify({ inputs: { x: 'a' } }));
    expect([200, 500]).toContain(ok.status); // the flow itself may hit its JSONata limit: still an answer
    await expectAlive(server);
  });
});

describe('an ingest item the process does not survive', () => {
  it('is marked failed after a bounded number of starts, not replayed at every start', async () => {
    // a page that never answers: the item stays "running" until the process is killed
    let hits = 0;
    const hang = http.createServer(() => void hits++);
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const port = (hang.address() as AddressInfo).port;
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-ingest-loop-'));
    fs.mkdirSync(path.join(home, 'flows'));
    const env = { BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1' };
    try {
      let s = await serve(home, env);
      expect((await api(s, '/api/knowledge-bases', { name: 'loop' })).status).toBe(201);
      const job = (await (
        await api(s, '/api/knowledge-bases/loop/urls', { url: `http://127.0.0.1:${port}/ページ` })
      ).json()) as {
        id: string;
      };
      for (let start = 1; start <= 3; start++) {
        await expect.poll(() => hits, { timeout: 30_000 }).toBe(start);
        await s.kill(); // the process goes down while the item is being ingested
        s = await serve(home, env);
      }
      // the fourth start gives the item up instead of fetching it again
      let body: { status: string; items: Array<{ status: string; attempts?: number; error?: { code: string } }> } = {
        status: '',
        items: [],
      };
      await expect
        .poll(
          async () => {
            body = (await (await api(s, `/api/knowledge-bases/loop/jobs/${job.id}`)).json()) as typeof body;
            return body.status;
          },
          { timeout: 30_000 },
        )
        .toBe('failed');
      expect(body.items[0]).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'too_many_attempts' } });
      expect(hits).toBe(3);
      await expectAlive(s);
      await s.kill();
    } finally {
      hang.closeAllConnections();
      hang.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);
});
