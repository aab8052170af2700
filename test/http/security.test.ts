import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from './harness';

const TOKEN = 'admin-token-0123456789-abcdef';

describe('auth on (BRAID_ADMIN_TOKEN set)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ adminToken: TOKEN, bodyLimit: '16kb' });
  });
  afterAll(async () => {
    await h.close();
  });

  const call = (p: string, init: RequestInit = {}) => fetch(`${h.url}${p}`, init);

  it('refuses /api without a token, with a wrong token, and with a token of another scheme', async () => {
    expect((await call('/api/flows')).status).toBe(401);
    expect((await call('/api/flows', { headers: { authorization: 'Bearer wrong-token-xxxxxxxxxxxx' } })).status).toBe(
      401,
    );
    expect((await call('/api/flows', { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    expect((await call('/api/flows', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    const res = await call('/api/flows', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const refused = await call('/api/node-types');
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('unauthorized');
    expect(JSON.stringify(body)).not.toContain(TOKEN);
  });

  it('health stays open for load balancers', async () => {
    expect((await call('/api/health')).status).toBe(200);
  });

  it('case and path tricks do not slip past auth', async () => {
    for (const p of [
      '/API/flows',
      '/Api/flows',
      '/api/FLOWS',
      '/API/flows/qa',
      '/api/flows/',
      '/API/health/../flows',
    ]) {
      const res = await rawRequest(h.url, { method: 'GET', path: p });
      expect([400, 401], `${p} → ${res.status}`).toContain(res.status);
    }
    for (const p of [
      '/api//flows',
      '//api/flows',
      '/api/./flows',
      '/x/../api/flows',
      '/%61pi/flows',
      '/api%2fflows',
      '/api/%2e%2e/api/flows',
      '/api\\flows',
    ]) {
      const res = await rawRequest(h.url, { method: 'GET', path: p });
      expect([400, 401], `${p} → ${res.status}`).toContain(res.status);
      expect(res.body).not.toContain('"flows"');
    }
  });

  it('loopback and X-Forwarded-For never grant trust', async () => {
    const res = await rawRequest(h.url, {
      method: 'GET',
      path: '/api/flows',
      headers: {
        'x-forwarded-for': '127.0.0.1',
        'x-real-ip': '127.0.0.1',
        forwarded: 'for=127.0.0.1',
        host: 'localhost',
      },
    });
    expect(res.status).toBe(401);
  });

  it('auth is checked before the body is parsed: malformed or oversize bodies without a token get 401', async () => {
    const bad = await rawRequest(h.url, {
      method: 'PUT',
      path: '/api/flows/qa',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(401);
    const big = await rawRequest(h.url, {
      method: 'PUT',
      path: '/api/flows/qa',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 'y'.repeat(64 * 1024) }),
    });
    expect(big.status).toBe(401);
    const polluted = await rawRequest(h.url, {
      method: 'POST',
      path: '/API/flows',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__":{"admin":true}}',
    });
    expect(polluted.status).toBe(401);
  });
});

describe('auth off (loopback default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('serves /api without a token; routing is case-sensitive so /API/flows is not the flows route', async () => {
    expect((await h.api('/api/flows')).status).toBe(200);
    const upper = await rawRequest(h.url, { method: 'GET', path: '/API/flows' });
    expect(upper.status).toBe(404);
    expect(JSON.parse(upper.body)).toMatchObject({ error: { code: 'not_found' } });
  });

  it('prototype pollution attempts are refused with 400 and pollute nothing', async () => {
    const bodies = [
      '{"inputs":{"__proto__":{"polluted":true}}}',
      '{"inputs":{"constructor":{"prototype":{"polluted":true}}}}',
      '{"schemaVersion":1,"id":"pp","name":"x","nodes":[],"__proto__":{"polluted":true}}',
    ];
    for (const body of bodies) {
      const res = await rawRequest(h.url, {
        method: 'POST',
        path: '/api/flows/code-tool/runs',
        headers: { 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).error.code).toBe('forbidden_key');
    }
    const put = await rawRequest(h.url, {
      method: 'PUT',
      path: '/api/flows/pp',
      headers: { 'content-type': 'application/json' },
      body: bodies[2],
    });
    expect(put.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('5xx and 4xx bodies never carry stack traces', async () => {
    const res = await rawRequest(h.url, {
      method: 'PUT',
      path: '/api/flows/qa',
      headers: { 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(res.status).toBe(400);
    expect(res.body).not.toMatch(/at .*\.ts:\d+/);
    expect(res.body).not.toContain('SyntaxError');
  });
});

describe('browser guards', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a DNS-rebinding Host in loopback mode', async () => {
    const res = await rawRequest(h.url, { method: 'GET', path: '/api/flows', headers: { host: 'evil.example.com' } });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe('forbidden_host');
    for (const host of ['localhost', '127.0.0.1:3000', '[::1]:3000', 'app.localhost']) {
      expect((await rawRequest(h.url, { method: 'GET', path: '/api/flows', headers: { host } })).status, host).toBe(
        200,
      );
    }
  });

  it('refuses cross-origin requests, even "simple" ones', async () => {
    const port = new URL(h.url).port;
    const cross = await rawRequest(h.url, {
      method: 'POST',
      path: '/api/flows/code-tool/runs',
      headers: { origin: 'https://evil.example.com', 'content-type': 'text/plain' },
      body: '{"inputs":{"text":"x"}}',
    });
    expect(cross.status).toBe(403);
    expect(JSON.parse(cross.body).error.code).toBe('forbidden_origin');
    const same = await rawRequest(h.url, {
      method: 'GET',
      path: '/api/flows',
      headers: { origin: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}` },
    });
    expect(same.status).toBe(200);
  });
});

describe('server faults', () => {
  it('a 5xx names the request id and carries no stack trace or internal message', async () => {
    const h = await startHarness({ examples: false });
    try {
      await h.server.storage.close(); // every database call now fails
      const res = await h.api('/api/runs/some-run', { headers: { 'x-request-id': 'fault-1' } });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; details?: unknown } };
      expect(body).toEqual({ error: { code: 'internal', message: 'internal server error (request id fault-1)' } });
    } finally {
      await h.close();
    }
  });
});
