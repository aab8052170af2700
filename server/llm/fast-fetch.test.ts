import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { createFastFetch } from './fast-fetch';

let server: http.Server;
let base: string;
const sockets = new Set<Socket>();
let connections = 0;
let last: { method: string; headers: http.IncomingHttpHeaders; body: string } | undefined;
const perSocket = new WeakMap<Socket, number>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      last = { method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      const u = new URL(req.url ?? '/', 'http://x');
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (u.pathname === '/stale' && n >= 2) {
        req.socket.destroy(); // the idle-close race: a reused socket dies before answering
        return;
      }
      if (u.pathname === '/echo' || u.pathname === '/stale') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-multi': ['a', 'b'] });
        res.end(JSON.stringify({ method: req.method, body: last.body, ct: req.headers['content-type'] }));
      } else if (u.pathname === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let i = 0;
        const t = setInterval(() => {
          if (res.destroyed) return clearInterval(t);
          res.write(`data: ${i}\n\n`);
          if (++i === 5) {
            clearInterval(t);
            res.end('data: [DONE]\n\n');
          }
        }, 10);
      } else if (u.pathname === '/cut') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
        res.write('partial');
        setTimeout(() => req.socket.destroy(), 20);
      } else if (u.pathname === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
        res.end(zlib.gzipSync('unzipped!'));
      } else if (u.pathname === '/redirect') {
        res.writeHead(Number(u.searchParams.get('s')), { location: u.searchParams.get('to') ?? '/echo' });
        res.end();
      } else if (u.pathname === '/empty') {
        res.writeHead(204);
        res.end();
      } else if (u.pathname === '/hang') {
        // never answers
      } else {
        res.writeHead(404);
        res.end('nope');
      }
    });
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('fast fetch', () => {
  it('posts JSON with any HeadersInit and reuses one keep-alive socket', async () => {
    const f = createFastFetch();
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const res = await f(`${base}/echo`, {
        method: 'post',
        headers: new Headers({ 'Content-Type': 'application/json' }),
        body: JSON.stringify({ i }),
      });
      expect(res.status).toBe(200);
      expect(res.ok).toBe(true);
      expect(await res.json()).toEqual({ method: 'POST', body: JSON.stringify({ i }), ct: 'application/json' });
      expect(res.headers.get('x-multi')).toBe('a, b');
      expect(res.url).toBe(`${base}/echo`);
    }
    expect(connections - before).toBe(1);
    const r2 = await f(new URL(`${base}/echo`), {
      method: 'POST',
      headers: [['x-a', '1']],
      body: new TextEncoder().encode('bytes'),
    });
    expect(((await r2.json()) as { body: string }).body).toBe('bytes');
    const r3 = await f(`${base}/echo`, { method: 'POST', body: new URLSearchParams({ a: '1' }) });
    expect(await r3.json()).toMatchObject({ body: 'a=1', ct: 'application/x-www-form-urlencoded;charset=UTF-8' });
  });

  it('retries once on a fresh socket when a reused keep-alive socket was closed', async () => {
    const f = createFastFetch();
    const before = connections;
    for (let i = 0; i < 3; i++) {
      const res = await f(`${base}/stale`, { method: 'POST', body: `n${i}` });
      expect(await res.json()).toMatchObject({ body: `n${i}` });
    }
    expect(connections - before).toBe(3);
  });

  it('streams a body chunk by chunk', async () => {
    const res = await createFastFetch()(`${base}/sse`);
    const reader = res.body!.getReader();
    const parts: string[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(new TextDecoder().decode(value));
    }
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.join('')).toContain('data: [DONE]');
  });

  it('aborts before and during the response with an AbortError', async () => {
    const f = createFastFetch();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(f(`${base}/hang`, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const ac2 = new AbortController();
    const res = await f(`${base}/sse`, { signal: ac2.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac2.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    const pre = new AbortController();
    pre.abort();
    await expect(f(`${base}/echo`, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('errors a cut body like fetch ("terminated") and a refused connection ("fetch failed")', async () => {
    const f = createFastFetch();
    const res = await f(`${base}/cut`);
    await expect(res.text()).rejects.toMatchObject({ name: 'TypeError', message: 'terminated' });
    await expect(f('http://127.0.0.1:1/')).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
  });

  it('decodes gzip, handles null-body statuses and follows redirects like fetch', async () => {
    const f = createFastFetch();
    const g = await f(`${base}/gzip`);
    expect(await g.text()).toBe('unzipped!');
    expect(g.headers.get('content-encoding')).toBeNull();
    const e = await f(`${base}/empty`);
    expect(e.status).toBe(204);
    expect(e.body).toBeNull();
    const r307 = await f(`${base}/redirect?s=307&to=/echo`, { method: 'POST', body: 'keep' });
    expect(await r307.json()).toMatchObject({ method: 'POST', body: 'keep' });
    const r303 = await f(`${base}/redirect?s=303&to=/echo`, { method: 'POST', body: 'drop' });
    expect(await r303.json()).toMatchObject({ method: 'GET', body: '' });
    const other = base.replace('127.0.0.1', 'localhost');
    await f(`${base}/redirect?s=302&to=${encodeURIComponent(`${other}/echo`)}`, {
      headers: { authorization: 'Bearer x' },
    });
    expect(last?.headers.authorization).toBeUndefined();
    const manual = await f(`${base}/redirect?s=302&to=/echo`, { redirect: 'manual' });
    expect(manual.status).toBe(302);
  });
});
