/**
 * Auth comes before the body: a 50 MB upload without credentials is answered before the
 * server reads it (on /api with BRAID_ADMIN_TOKEN, and on the deployed /v1 endpoints with
 * deployment keys), and path spellings never reach a handler without auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from '../http/harness';
import { tokenEquals } from '../../server/http/middleware/auth';
import { postBigBody } from './support';

const TOKEN = 'admin-token-security-0123456789';
const FIFTY_MB = 50 * 1024 * 1024;

describe('auth before body (admin token set)', () => {
  let h: Harness;
  let key = '';
  beforeAll(async () => {
    h = await startHarness({ adminToken: TOKEN });
    const res = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'sec-auth' } });
    expect(res.status).toBe(201);
    key = ((await res.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await h.close();
  });

  const refusedEarly = async (path: string, headers: Record<string, string> = {}, expected = [401]) => {
    const r = await postBigBody(h.url, path, FIFTY_MB, headers);
    expect(expected, `${path} → ${r.status} ${r.body}`).toContain(r.status);
    // Refused before reading: the answer came while at most a few MiB were in flight
    // (socket buffers), and quickly.
    expect(r.sentBeforeResponse, `${path}: bytes sent before the answer`).toBeLessThan(8 * 1024 * 1024);
    expect(r.ms, `${path}: ms to the answer`).toBeLessThan(3_000);
    expect(r.body).not.toMatch(/at .*\.ts:\d+/);
    return r;
  };

  it('every /api POST/PUT without a token: 401 before the 50 MB body is read', async () => {
    for (const p of [
      '/api/flows',
      '/api/flows/qa/runs',
      '/api/flows/qa/validate',
      '/api/datasets',
      '/api/evaluations',
      '/api/knowledge-bases',
      '/api/knowledge-bases/x/documents',
      '/api/flows/qa/deployments',
      '/API/flows',
      '/Api/Flows',
    ]) {
      const r = await refusedEarly(p, {}, [400, 401]);
      expect(r.headers.connection).toBe('close');
    }
  });

  it('/v1 endpoints without a key (or with a bad one): refused before the 50 MB body is read', async () => {
    await refusedEarly('/v1/endpoints/sec-auth');
    await refusedEarly('/v1/endpoints/sec-auth', { authorization: 'Bearer brd_' + 'x'.repeat(43) });
    await refusedEarly('/v1/endpoints/sec-auth/feedback');
    await refusedEarly('/v1/chat/completions');
    // unknown deployments are refused as early, with the same 401 (a slug's existence is not
    // revealed before the key), and the connection is not kept to drain the body
    const r = await refusedEarly('/v1/endpoints/no-such-slug', {}, [401]);
    expect(r.headers.connection).toBe('close');
  });

  it('a valid key with an oversize body gets 413, not a 50 MB read', async () => {
    const r = await refusedEarly('/v1/endpoints/sec-auth', { authorization: `Bearer ${key}` }, [413]);
    expect(r.headers.connection).toBe('close');
  });

  it('path spellings: case, encodings, slashes and dot segments are 400 or 401, never served', async () => {
    const paths = [
      '/API/flows',
      '/Api/Flows',
      '/aPi/flows/qa',
      '/%61pi/flows',
      '/%41PI/flows',
      '/api%2Fflows',
      '/api%2fflows',
      '/api/flows/',
      '/api/flows//',
      '/api//flows',
      '//api/flows',
      '/api/./flows',
      '/api/flows/../flows',
      '/x/../api/flows',
      '/api/%2e%2e/api/flows',
      '/api/flows/%2e%2e',
      '/api\\flows',
      '/api/flows%00',
      '/api/flows;x=1',
      '/api/flows?x=/../',
      '/api/health/../flows',
      '/api/health/%2e%2e/flows',
    ];
    for (const method of ['GET', 'POST', 'PUT', 'DELETE']) {
      for (const p of paths) {
        const res = await rawRequest(h.url, {
          method,
          path: p,
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect([400, 401, 404], `${method} ${p} → ${res.status} ${res.body.slice(0, 200)}`).toContain(res.status);
        if (res.status === 404) expect(res.body, `${method} ${p}`).not.toContain('"flows"');
      }
    }
    // and with the token, the normal spelling works (the check above is not vacuous)
    const ok = await rawRequest(h.url, {
      method: 'GET',
      path: '/api/flows/',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(ok.status).toBe(200);
  });

  it('/metrics and /v1 case variants need credentials too', async () => {
    for (const p of ['/metrics', '/metrics/', '/METRICS', '/Metrics']) {
      const res = await rawRequest(h.url, { method: 'GET', path: p });
      expect([401, 404], `${p} → ${res.status}`).toContain(res.status);
      expect(res.body).not.toContain('braid_');
    }
    for (const p of [
      '/V1/endpoints/sec-auth',
      '/v1/Endpoints/sec-auth',
      '/v1/endpoints/SEC-AUTH',
      '/V1/chat/completions',
    ]) {
      const res = await rawRequest(h.url, {
        method: 'POST',
        path: p,
        headers: { 'content-type': 'application/json' },
        body: '{"inputs":{}}',
      });
      expect([401, 404], `${p} → ${res.status}`).toContain(res.status);
    }
  });

  it('X-Forwarded-For, Forwarded, X-Real-IP, Host and Origin tricks never grant trust', async () => {
    const variants: Array<Record<string, string>> = [
      { 'x-forwarded-for': '127.0.0.1' },
      { forwarded: 'for=127.0.0.1;host=localhost;proto=https' },
      { 'x-real-ip': '127.0.0.1', 'x-forwarded-host': 'localhost' },
      { host: 'localhost' },
      { host: '127.0.0.1' },
      { 'x-original-url': '/api/health', 'x-rewrite-url': '/api/health' },
      { 'x-http-method-override': 'GET' },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `bearer  ${TOKEN} extra` },
      { authorization: `Bearer ${TOKEN.toUpperCase()}` },
      { cookie: `token=${TOKEN}` },
    ];
    for (const headers of variants) {
      const res = await rawRequest(h.url, { method: 'GET', path: '/api/flows', headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
    }
    const viaQuery = await rawRequest(h.url, {
      method: 'GET',
      path: `/api/flows?token=${TOKEN}&access_token=${TOKEN}`,
    });
    expect(viaQuery.status).toBe(401);
  });

  it('token comparison hashes first, so any length compares without throwing, and rejects near misses', () => {
    expect(tokenEquals(TOKEN, TOKEN)).toBe(true);
    expect(tokenEquals(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokenEquals(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenEquals(`x${TOKEN.slice(1)}`, TOKEN)).toBe(false);
    expect(tokenEquals('', TOKEN)).toBe(false);
    expect(tokenEquals('x'.repeat(10_000), TOKEN)).toBe(false);
  });

  it('a chunked (no Content-Length) oversize JSON body with the token is still refused with 413', async () => {
    const res = await fetch(`${h.url}/api/flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode(`{"id":"x","pad":"${'a'.repeat(2 * 1024 * 1024)}"}`));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
  });
});
