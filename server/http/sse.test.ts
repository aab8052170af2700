import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { openSse } from './sse';

let server: http.Server;
let url: string;
let disconnected: Promise<string>;
let onDisconnect: (why: string) => void;

beforeAll(async () => {
  const app = express();
  disconnected = new Promise((r) => (onDisconnect = r));
  app.get('/hb', (req, res) => {
    const sse = openSse(req, res, { heartbeatMs: 20 });
    sse.send('hello', { a: 1 });
    setTimeout(() => {
      sse.send('bye', { b: 'x\ny' });
      sse.end();
    }, 120);
  });
  app.get('/forever', (req, res) => {
    const sse = openSse(req, res, { heartbeatMs: 1000 });
    sse.send('start', {});
    sse.signal.addEventListener('abort', () => onDisconnect(String((sse.signal.reason as Error).message)));
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('openSse', () => {
  it('writes event frames with JSON data and heartbeat comments', async () => {
    const res = await fetch(`${url}/hb`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const text = await res.text();
    expect(text).toContain('event: hello\ndata: {"a":1}\n\n');
    expect(text).toContain('event: bye\ndata: {"b":"x\\ny"}\n\n');
    expect((text.match(/: ping\n\n/g) ?? []).length).toBeGreaterThanOrEqual(2);
  });

  it('aborts its signal when the client goes away', async () => {
    const c = new AbortController();
    const res = await fetch(`${url}/forever`, { signal: c.signal });
    const reader = res.body!.getReader();
    await reader.read();
    c.abort();
    expect(await disconnected).toBe('client disconnected');
  });
});
