/**
 * The deployed endpoints' fast path (server/http/fast-endpoint.ts) through a real server:
 * a plain JSON call skips Express, and every answer it gives — success, each refusal, each
 * bad body — is the one the Express route gives for the same request. Each case is sent
 * twice: once in the fast path's shape, once with a Content-Type parameter that only
 * Express accepts (`; x=1`), which sends the same request through the Express route.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployResult } from '../../shared/api/deployment';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { promptFlow, startDeployServer, type DeployServer } from '../deployment/testing';
import { readJson } from './fast-endpoint';

let fake: FakeOpenAI;
let s: DeployServer;
let key: string;
/** Requests the Express app saw (the fast path's never reach it). */
let expressCalls = 0;

const FAST = 'application/json';
const VIA_EXPRESS = 'application/json; x=1';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}

/** A raw POST (exact bytes and headers, nothing added by a client library). */
function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const u = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path,
        agent: false,
        headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Send one request both ways; check which way each went, and return both answers. */
async function both(
  body: string | Buffer,
  headers: Record<string, string> = {},
  path = '/v1/endpoints/fast',
): Promise<[Answer, Answer]> {
  const before = expressCalls;
  const fast = await post(path, body, { 'content-type': FAST, ...headers });
  expect(expressCalls, 'the fast path should have served this request').toBe(before);
  const slow = await post(path, body, { 'content-type': VIA_EXPRESS, ...headers });
  expect(expressCalls, 'Express should have served this request').toBe(before + 1);
  return [fast, slow];
}

/** The parts of an answer that must not depend on the path taken. */
function shape(a: Answer): unknown {
  const body = a.body as { traceId?: string; error?: { details?: { traceId?: string } } };
  const stable = JSON.parse(JSON.stringify(body)) as typeof body;
  if (stable.traceId) stable.traceId = '<id>';
  if (stable.error?.details?.traceId) stable.error.details.traceId = '<id>';
  return {
    status: a.status,
    body: stable,
    type: a.headers['content-type'],
    auth: a.headers['www-authenticate'],
    version: a.headers['x-braid-version'],
    trace: typeof a.headers['x-braid-trace-id'],
    requestId: typeof a.headers['x-request-id'],
  };
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: fake.url,
    flows: [promptFlow('fast', 'Answer briefly.')],
    env: { BRAID_AUTH_FAILURE_LIMIT: '0' },
  });
  const express = s.server.app.app as unknown as { handle: (...args: unknown[]) => unknown };
  const handle = express.handle.bind(express);
  express.handle = (...args: unknown[]) => {
    expressCalls++;
    return handle(...args);
  };
  const res = await s.api('/api/flows/fast/deployments', { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  key = ((await res.json()) as DeployResult).apiKey as string;
});

afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('the fast path answers a deployed call as the Express route does', () => {
  it('a call: same outputs, usage and headers; Japanese text intact; logged in the request log', async () => {
    const body = JSON.stringify({ inputs: { question: '富士山の高さは?' } });
    const [fast, slow] = await both(body, { authorization: `Bearer ${key}` });
    expect(fast.status).toBe(200);
    expect(shape(fast)).toEqual(shape(slow));
    expect(fast.body).toMatchObject({ outputs: { answer: 'Echo: 富士山の高さは?' } });
    expect(fast.headers['x-braid-trace-id']).toBe((fast.body as { traceId: string }).traceId);
    expect(fast.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(fast.body))));
    // The request log has the call, with its trace.
    await expect
      .poll(
        async () => (await s.api(`/api/deployments/fast/logs/${(fast.body as { traceId: string }).traceId}`)).status,
      )
      .toBe(200);
  });

  it('keeps a well-formed X-Request-Id and makes one otherwise', async () => {
    const body = JSON.stringify({ inputs: { question: 'q' } });
    const [fast] = await both(body, { authorization: `Bearer ${key}`, 'x-request-id': 'req-123.abc' });
    expect(fast.headers['x-request-id']).toBe('req-123.abc');
    const [bad] = await both(body, { authorization: `Bearer ${key}`, 'x-request-id': 'bad id <script>' });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['no key', JSON.stringify({ inputs: { question: 'q' } }), {}, 401],
    ['an unknown key', JSON.stringify({ inputs: { question: 'q' } }), { authorization: 'Bearer bk_nope' }, 401],
  ])('%s: the same 401 with its challenge', async (_name, body, headers, status) => {
    const [fast, slow] = await both(body, headers);
    expect(fast.status).toBe(status);
    expect(fast.headers['www-authenticate']).toContain('Bearer');
    expect(shape(fast)).toEqual(shape(slow));
  });

  it.each([
    ['broken JSON', '{"inputs": {"question": '],
    ['a JSON string (strict: objects and arrays only)', '"just text"'],
    ['an array', '[1, 2]'],
    ['inputs that are not an object', '{"inputs": [1]}'],
    ['a missing required input', '{"inputs": {}}'],
    ['a wrong input type', '{"inputs": {"question": 42}}'],
    ['a prototype-polluting key', '{"inputs": {"question": "q"}, "__proto__": {"admin": true}}'],
    ['a constructor.prototype key', '{"inputs": {"question": "q", "constructor": {"prototype": {"x": 1}}}}'],
    ['nesting past 256 levels', `{"inputs": {"question": "q"}, "deep": ${'['.repeat(300)}${']'.repeat(300)}}`],
    ['a bad session id', '{"inputs": {"question": "q"}, "sessionId": "has spaces"}'],
    ['a webhook URL with credentials', '{"inputs": {"question": "q"}, "webhook": "http://user:pw@example.com/hook"}'],
  ])('%s: the same 400', async (_name, body) => {
    const [fast, slow] = await both(body, { authorization: `Bearer ${key}` });
    expect(fast.status).toBe(400);
    expect(shape(fast)).toEqual(shape(slow));
  });

  it('a body with a UTF-8 byte order mark is read as JSON', async () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"inputs": {"question": "BOM"}}')]);
    const [fast, slow] = await both(body, { authorization: `Bearer ${key}` });
    expect(fast.status).toBe(200);
    expect(shape(fast)).toEqual(shape(slow));
  });

  it("a body over the deployment's limit: the same 413, and the connection is closed", async () => {
    expect(
      (await s.api('/api/deployments/fast', { method: 'PATCH', json: { settings: { maxBodyBytes: 1024 } } })).status,
    ).toBe(200);
    try {
      const body = JSON.stringify({ inputs: { question: 'あ'.repeat(2000) } });
      const [fast, slow] = await both(body, { authorization: `Bearer ${key}` });
      expect(fast.status).toBe(413);
      expect(fast.headers.connection).toBe('close');
      expect(shape(fast)).toEqual(shape(slow));
    } finally {
      await s.api('/api/deployments/fast', { method: 'PATCH', json: { settings: { maxBodyBytes: 1_048_576 } } });
    }
  });

  it('another shape goes to Express: a query string, SSE, a browser origin, an unknown slug shape', async () => {
    const body = JSON.stringify({ inputs: { question: 'q' } });
    const auth = { authorization: `Bearer ${key}`, 'content-type': FAST };
    for (const [path, headers] of [
      ['/v1/endpoints/fast?version=1', auth],
      ['/v1/endpoints/fast', { ...auth, accept: 'text/event-stream' }],
      ['/v1/endpoints/fast', { ...auth, origin: 'https://app.example' }],
      ['/v1/endpoints/Fast', auth],
      ['/v1/endpoints/fast/', auth],
    ] as const) {
      const before = expressCalls;
      const res = await post(path, body, headers);
      expect(expressCalls, `${path} ${JSON.stringify(headers)}`).toBe(before + 1);
      expect(res.status).toBeLessThan(500);
    }
  });

  it('a client that goes away mid-body does not hurt the server', async () => {
    const u = new URL(s.url);
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: '/v1/endpoints/fast',
        agent: false,
        headers: { 'content-type': FAST, 'content-length': '5000', authorization: `Bearer ${key}` },
      });
      req.on('error', () => resolve());
      req.write('{"inputs": {"question": "cut');
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const [after] = await both(JSON.stringify({ inputs: { question: 'still here?' } }), {
      authorization: `Bearer ${key}`,
    });
    expect(after.status).toBe(200);
  });
});

describe('the fast path body reader', () => {
  it('a request the client abandoned before its body was read is refused at once, not left waiting', async () => {
    const req = new http.IncomingMessage(new net.Socket());
    const res = new http.ServerResponse(req);
    req.destroy();
    await new Promise((r) => req.once('close', r)); // gone before the reader looks: no event will come
    await expect(readJson(req, res, 10, 1000)).rejects.toMatchObject({ status: 400, code: 'bad_request' });
  });
});

describe('failed-auth throttling covers the fast path', () => {
  /** Six calls with a wrong key from one address, on a fresh server allowing 3 failures a minute. */
  async function wrongKeys(contentType: string): Promise<number[]> {
    const t = await startDeployServer({
      openaiUrl: fake.url,
      flows: [promptFlow('fast', 'Answer briefly.')],
      env: { BRAID_AUTH_FAILURE_LIMIT: '3' },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${t.url}/v1/endpoints/fast`, {
          method: 'POST',
          headers: { 'content-type': contentType, authorization: 'Bearer bk_wrong' },
          body: JSON.stringify({ inputs: { question: 'q' } }),
        });
        statuses.push(res.status);
      }
      return statuses;
    } finally {
      await t.close();
    }
  }

  it('bad keys on the fast path are counted as on the Express route; once blocked, calls get 429', async () => {
    const fast = await wrongKeys(FAST);
    expect(fast.slice(0, 3)).toEqual([401, 401, 401]);
    expect(fast.at(-1)).toBe(429);
    expect(fast).toEqual(await wrongKeys(VIA_EXPRESS));
  });
});
