/**
 * Failed auth is throttled per client address: hundreds of wrong admin tokens or API keys
 * from one address get 429 with Retry-After, while callers at other addresses with valid
 * credentials go on unhindered. Client addresses are distinct loopback addresses
 * (127.0.0.0/8 all reach a server on 127.0.0.1).
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { AuthThrottle, clientKey } from '../../server/http/middleware/auth-throttle';
import { startHarness, type Harness } from '../http/harness';

const TOKEN = 'admin-token-throttle-0123456789';

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
  ms: number;
}

/** One request from a chosen local (loopback) address. */
function call(
  baseUrl: string,
  from: string,
  opts: { method?: string; path: string; auth?: string; body?: string },
): Promise<Answer> {
  const u = new URL(baseUrl);
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        localAddress: from,
        agent: false,
        headers: {
          ...(opts.auth ? { authorization: `Bearer ${opts.auth}` } : {}),
          ...(opts.body !== undefined
            ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) }
            : {}),
        },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'] as string | undefined,
            body: Buffer.concat(parts).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('failed-auth throttling (in process)', () => {
  let h: Harness;
  let key = '';
  beforeAll(async () => {
    h = await startHarness({ adminToken: TOKEN });
    const res = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'throttle' } });
    expect(res.status).toBe(201);
    key = ((await res.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await h.close();
  });

  it('hundreds of wrong admin tokens from one address → 429 with Retry-After; valid callers elsewhere are not slowed', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 300; i++) {
      const r = await call(h.url, '127.0.0.2', { path: '/api/flows', auth: `wrong-token-${i}` });
      statuses.push(r.status);
      if (r.status === 429) {
        retryAfter ??= r.retryAfter;
        expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'too_many_auth_failures' } });
      }
    }
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(230);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);

    // The blocked address is refused even with the right token (a right guess must not show through)…
    expect((await call(h.url, '127.0.0.2', { path: '/api/flows', auth: TOKEN })).status).toBe(429);
    // …but the health check still answers, and every other address goes on as before.
    expect((await call(h.url, '127.0.0.2', { path: '/api/health' })).status).toBe(200);
    const ok = await call(h.url, '127.0.0.1', { path: '/api/flows', auth: TOKEN });
    expect(ok.status).toBe(200);
    const calls = await Promise.all(
      Array.from({ length: 100 }, () =>
        call(h.url, '127.0.0.1', {
          method: 'POST',
          path: '/v1/endpoints/throttle',
          auth: key,
          body: JSON.stringify({ inputs: { text: '認証に成功した呼び出しは遅くならない。' } }),
        }),
      ),
    );
    expect(calls.map((c) => c.status).filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // Valid keys hit the deployment's own rate limit at most, never the auth throttle.
    expect(calls.filter((c) => c.body.includes('too_many_auth_failures'))).toEqual([]);
  });

  it('hundreds of wrong deployment API keys from one address → 429 on /v1 as well', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await call(h.url, '127.0.0.3', {
        method: 'POST',
        path: i % 2 ? '/v1/endpoints/throttle' : '/v1/chat/completions',
        auth: 'brd_' + String(i).padStart(43, 'x'),
        body: '{}',
      });
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(130);
    // The right key from another address still works.
    const good = await call(h.url, '127.0.0.1', {
      method: 'POST',
      path: '/v1/endpoints/throttle',
      auth: key,
      body: JSON.stringify({ inputs: { text: 'こんにちは。' } }),
    });
    expect([200, 429]).toContain(good.status);
    expect(good.body).not.toContain('too_many_auth_failures');
  });
});

describe('failed-auth throttling (unit)', () => {
  it('unblocks after the Retry-After time, and its memory is bounded', async () => {
    let now = 1_000_000;
    const t = new AuthThrottle({ failuresPerMinute: 3, maxTracked: 100, now: () => now });
    for (let i = 0; i < 3; i++) await t.fail('a');
    expect(t.blockedFor('a')).toBe(0);
    await t.fail('a');
    expect(t.blockedFor('a')).toBeGreaterThan(0);
    now += t.blockedFor('a');
    expect(t.blockedFor('a')).toBe(0);
    // 10 000 distinct attackers: at most maxTracked remembered.
    for (let i = 0; i < 10_000; i++) for (let j = 0; j < 4; j++) await t.fail(`10.0.${i >> 8}.${i & 255}`);
    const blocked = (t as unknown as { blocked: Map<string, number> }).blocked;
    expect(blocked.size).toBeLessThanOrEqual(100);
  });

  it('keys IPv4 as is (also IPv4-mapped) and IPv6 by /64', () => {
    expect(clientKey('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey(undefined)).toBe('unknown');
  });
});

function redisReachable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 6379 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

describe('failed-auth throttling shared through Redis', () => {
  it('failures counted by one API process block the address on another', async (ctx) => {
    if (!(await redisReachable())) {
      if (process.env.BRAID_REQUIRE_SERVICES === '1') throw new Error('Redis at 127.0.0.1:6379 is required');
      ctx.skip();
      return;
    }
    const from = `127.${1 + Math.floor(Math.random() * 200)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;
    const env = { REDIS_URL: 'redis://127.0.0.1:6379', BRAID_AUTH_FAILURE_LIMIT: '20' };
    const a = await startHarness({ adminToken: TOKEN, examples: false, env });
    const b = await startHarness({ adminToken: TOKEN, examples: false, env });
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      for (let i = 0; i < 20; i++)
        expect((await call(a.url, from, { path: '/api/flows', auth: 'nope' })).status).toBe(401);
      // B has seen no failure from this address, yet the shared bucket is empty.
      const first = await call(b.url, from, { path: '/api/flows', auth: 'nope' });
      expect(first.status).toBe(401);
      const second = await call(b.url, from, { path: '/api/flows', auth: 'nope' });
      expect(second.status).toBe(429);
      expect(Number(second.retryAfter)).toBeGreaterThanOrEqual(1);
    } finally {
      await redis.del(`braid:authfail:${from}`);
      redis.disconnect();
      await a.close();
      await b.close();
    }
  });
});
