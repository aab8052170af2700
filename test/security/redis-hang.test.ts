/**
 * A Redis that hangs (stopped with SIGSTOP: connections stay open, nothing answers) must
 * not hang deployed calls: every Redis command on a request path has a deadline and falls
 * back as when Redis is down, and an evaluation created meanwhile fails within the
 * documented 10 s. The test starts its own redis-server on a free loopback port (never
 * the shared one on 6379).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startHarness, type Harness } from '../http/harness';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ proc: ChildProcess; url: string } | undefined> {
  const port = await freePort();
  let proc: ChildProcess;
  try {
    proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'],
      { stdio: 'ignore' },
    );
  } catch {
    return undefined;
  }
  const spawned = await new Promise<boolean>((resolve) => {
    proc.once('error', () => resolve(false));
    proc.once('spawn', () => resolve(true));
  });
  if (!spawned) return undefined;
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i++) {
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return { proc, url };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  probe.disconnect();
  proc.kill('SIGKILL');
  return undefined;
}

describe('a hung Redis (SIGSTOP)', () => {
  let redis: { proc: ChildProcess; url: string } | undefined;
  let h: Harness;
  let key = '';
  let stopped = false;

  beforeAll(async () => {
    redis = await startRedis();
    if (!redis) return;
    h = await startHarness({ env: { REDIS_URL: redis.url } });
    const dep = await h.api('/api/flows/code-tool/deployments', {
      method: 'POST',
      json: { slug: 'hang', settings: { timeoutMs: 5_000 } },
    });
    expect(dep.status).toBe(201);
    key = ((await dep.json()) as { apiKey: string }).apiKey;
  }, 60_000);

  afterAll(async () => {
    if (!redis) return;
    if (stopped) redis.proc.kill('SIGCONT');
    await h?.close();
    redis.proc.kill('SIGKILL');
  }, 60_000);

  const callEndpoint = async () => {
    const t0 = performance.now();
    const res = await fetch(`${h.url}/v1/endpoints/hang`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { text: 'Redis が止まっても応答する。二文目。' } }),
      signal: AbortSignal.timeout(20_000),
    });
    return { status: res.status, ms: performance.now() - t0 };
  };

  it('deployed calls answer within their timeout, limited per process', async (ctx) => {
    if (!redis) {
      if (process.env.BRAID_REQUIRE_SERVICES === '1') throw new Error('redis-server is required');
      ctx.skip();
      return;
    }
    expect((await callEndpoint()).status).toBe(200); // Redis answers: the shared bucket is used
    redis.proc.kill('SIGSTOP');
    stopped = true;
    const first = await callEndpoint();
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(3_000);
    // After one command timed out, later calls fall back at once instead of each waiting.
    const more = await Promise.all(Array.from({ length: 5 }, () => callEndpoint()));
    for (const c of more) {
      expect(c.status).toBe(200);
      expect(c.ms).toBeLessThan(1_500);
    }
  }, 30_000);

  it('wrong keys still get 401 (the failed-auth counter falls back too)', async (ctx) => {
    if (!redis || !stopped) return ctx.skip();
    const t0 = performance.now();
    const res = await fetch(`${h.url}/v1/endpoints/hang`, {
      method: 'POST',
      headers: { authorization: `Bearer brd_${'x'.repeat(43)}`, 'content-type': 'application/json' },
      body: '{}',
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.status).toBe(401);
    const again = await fetch(`${h.url}/api/health`, { signal: AbortSignal.timeout(20_000) });
    expect(again.status).toBe(200);
    expect(performance.now() - t0).toBeLessThan(3_000);
  }, 30_000);

  it('an evaluation created while Redis hangs fails within the documented 10 s, saying why', async (ctx) => {
    if (!redis || !stopped) return ctx.skip();
    const rows = ['一', '二', '三'].map((t) => JSON.stringify({ text: `${t}つ目の文。`, expected: 'x' }));
    const up = await h.api('/api/datasets?name=hang&filename=h.jsonl', {
      method: 'POST',
      body: rows.join('\n'),
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect(up.status).toBe(201);
    const { dataset } = (await up.json()) as { dataset: { id: string } };
    const t0 = Date.now();
    const res = await h.api('/api/evaluations', {
      method: 'POST',
      json: { flowId: 'code-tool', datasetId: dataset.id, config: { mapping: { text: 'text' }, metrics: ['latency'] } },
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.status).toBe(201);
    const { evaluation } = (await res.json()) as { evaluation: { id: string } };
    let info: { status: string; error: { message: string } | null } | undefined;
    while (Date.now() - t0 < 16_000) {
      const r = await h.api(`/api/evaluations/${evaluation.id}`, { signal: AbortSignal.timeout(5_000) });
      info = ((await r.json()) as { evaluation: NonNullable<typeof info> }).evaluation;
      if (info.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(info?.status).toBe('failed');
    expect(info?.error?.message).toMatch(/Redis.*did not answer within 10000 ms/);
    expect(Date.now() - t0).toBeLessThan(13_000);
  }, 40_000);
});
