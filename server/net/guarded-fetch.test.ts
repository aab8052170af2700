import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { guardedFetch, type Resolver } from './guarded-fetch';
import { checkAddress, hostAllowed } from './address-policy';
import { NodeError } from '../runtime/types';

let server: http.Server;
let port: number;
const seen: Array<{ url: string; method: string; headers: http.IncomingHttpHeaders }> = [];

/** Names used in tests resolve here, never through the system resolver. */
const names: Record<string, string[]> = {
  'allowed.test': ['127.0.0.1'],
  'other-allowed.test': ['127.0.0.1'],
  'evil.test': ['93.184.216.34', '127.0.0.1'],
  'private.test': ['10.1.2.3'],
  'mapped.test': ['::ffff:169.254.169.254'],
};
const resolver: Resolver = async (host) => {
  // An answer the socket layer refuses at once, without a packet leaving the machine (an
  // IPv4 address handed over as IPv6: EINVAL), the way an IPv6-only name fails on an
  // IPv4-only host (ENETUNREACH) or an address that is not there (EADDRNOTAVAIL).
  if (host === 'unroutable.test') return [{ address: '127.0.0.1', family: 6 }];
  const a = names[host];
  if (!a) throw Object.assign(new Error(`no such test host ${host}`), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers });
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/ok') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ hello: 'world', host: req.headers.host }));
    } else if (u.pathname === '/redirect') {
      res.writeHead(Number(u.searchParams.get('status') ?? 302), { location: u.searchParams.get('to') ?? '/ok' });
      res.end();
    } else if (u.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 10_000 });
      res.end('x'.repeat(10_000));
    } else if (u.pathname === '/big-chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const t = setInterval(() => {
        res.write('y'.repeat(1000));
        if (++n >= 10 || res.destroyed) {
          clearInterval(t);
          res.end();
        }
      }, 1);
    } else if (u.pathname === '/gzip-bomb') {
      const z = zlib.gzipSync(Buffer.alloc(5_000_000));
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': z.length });
      res.end(z);
    } else if (u.pathname === '/gzip') {
      const z = zlib.gzipSync(Buffer.from('compressed hello'));
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(z);
    } else if (u.pathname === '/hang') {
      // never answers
    } else {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function refused(url: string, init: Parameters<typeof guardedFetch>[1] = {}): Promise<NodeError> {
  const before = seen.length;
  const err = await guardedFetch(url, { resolver, timeoutMs: 3000, ...init }).then(
    () => new Error(`expected ${url} to be refused`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeError);
  expect(seen.length).toBe(before); // nothing reached our server
  return err as NodeError;
}

describe('guardedFetch refuses non-public targets', () => {
  it.each([
    ['http://127.0.0.1:PORT/ok', /127\.0\.0\.1 is a loopback address/],
    ['http://localhost:PORT/ok', /localhost is a loopback host name/],
    ['http://api.localhost:PORT/ok', /loopback host name/],
    ['http://[::1]:PORT/ok', /::1 is a loopback address/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is a cloud metadata address/],
    ['http://10.0.0.1/', /10\.0\.0\.1 is a private address/],
    ['http://172.16.5.4/', /private address/],
    ['http://192.168.1.1/', /private address/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://0.0.0.0:PORT/', /unspecified/],
    ['http://2130706433:PORT/ok', /127\.0\.0\.1 is a loopback address/], // decimal
    ['http://0x7f.1:PORT/ok', /127\.0\.0\.1 is a loopback address/], // hex + short form
    ['http://017700000001:PORT/ok', /127\.0\.0\.1 is a loopback address/], // octal
    ['http://[::ffff:127.0.0.1]:PORT/ok', /maps to .*loopback/], // IPv4-mapped IPv6
    ['http://[::ffff:a9fe:a9fe]/', /maps to .*metadata/],
    ['http://[fe80::1]/', /link-local/],
    ['http://[fd00:ec2::254]/', /metadata/],
    ['http://[fc00::1]/', /unique-local/],
    ['http://[::7f00:1]/', /IPv4-compatible/],
    ['http://224.0.0.1/', /multicast/],
    ['http://metadata.google.internal/computeMetadata/v1/', /cloud metadata host/],
    ['http://evil.test/', /evil\.test resolves to 127\.0\.0\.1 is a loopback address/],
    ['http://private.test/', /private\.test resolves to 10\.1\.2\.3 is a private address/],
    ['http://mapped.test/', /maps to/],
    ['http://allowed.test@127.0.0.1:PORT/ok', /127\.0\.0\.1 is a loopback address/], // userinfo is not the host
    ['http://127.0.0.1:PORT#@allowed.test/', /127\.0\.0\.1 is a loopback address/],
    ['http://localhost.:PORT/ok', /loopback host name/], // trailing dot
  ])('%s', async (raw, msg) => {
    const err = await refused(raw.replace('PORT', String(port)), { allowHosts: ['allowed.test'] });
    expect(err.code).toBe('ssrf_blocked');
    expect(err.message).toMatch(msg);
    expect(err.message).toContain('BRAID_HTTP_ALLOW_HOSTS');
  });

  it('refuses schemes other than http and https', async () => {
    for (const u of ['file:///etc/passwd', 'ftp://example.test/', 'gopher://127.0.0.1:70/', 'data:text/plain,hi']) {
      const err = await refused(u);
      expect(err.code).toBe('ssrf_blocked');
      expect(err.message).toMatch(/only http and https/);
    }
  });

  it('refuses a redirect from an allowed host to a private one, at every hop', async () => {
    const allowHosts = ['allowed.test'];
    for (const to of [
      `http://127.0.0.1:${port}/ok`,
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data',
      `http://localhost:${port}/ok`,
    ]) {
      const before = seen.length;
      const err = await guardedFetch(`http://allowed.test:${port}/redirect?to=${encodeURIComponent(to)}`, {
        resolver,
        allowHosts,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NodeError);
      expect((err as NodeError).code).toBe('ssrf_blocked');
      expect(seen.length).toBe(before + 1); // only the first hop reached the server
    }
    // two redirects: allowed → allowed → private
    const chain = `http://allowed.test:${port}/redirect?to=${encodeURIComponent(`http://other-allowed.test:${port}/redirect?to=${encodeURIComponent('http://192.168.0.1/')}`)}`;
    const err = await guardedFetch(chain, { resolver, allowHosts: ['allowed.test', 'other-allowed.test'] }).catch(
      (e: unknown) => e,
    );
    expect((err as NodeError).code).toBe('ssrf_blocked');
    expect((err as NodeError).message).toContain('192.168.0.1');
  });
});

describe('guardedFetch on allowed hosts', () => {
  it('reaches an allow-listed host, pinned to the address the resolver vetted', async () => {
    const res = await guardedFetch(`http://allowed.test:${port}/ok`, { resolver, allowHosts: ['allowed.test'] });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ hello: 'world', host: `allowed.test:${port}` });
    // an IP literal in the allow-list works too
    const res2 = await guardedFetch(`http://127.0.0.1:${port}/ok`, { allowHosts: ['127.0.0.1'] });
    expect(res2.status).toBe(200);
    // the name is resolved once, by the guard; the socket connects to that vetted address
    // (a system lookup of allowed.test would fail this file through test/setup/no-network.ts)
    let lookups = 0;
    const counting: Resolver = async (h) => {
      lookups++;
      return resolver(h);
    };
    await guardedFetch(`http://allowed.test:${port}/ok`, { resolver: counting, allowHosts: ['allowed.test'] });
    expect(lookups).toBe(1);
    expect(hostAllowed('api.internal.test', ['*.internal.test'])).toBe(true);
    expect(hostAllowed('internal.test.evil', ['*.internal.test'])).toBe(false);
  });

  it('follows redirects, turns 303 into GET and drops credentials across origins', async () => {
    const allowHosts = ['allowed.test', 'other-allowed.test'];
    const before = seen.length;
    const res = await guardedFetch(
      `http://allowed.test:${port}/redirect?status=303&to=${encodeURIComponent(`http://other-allowed.test:${port}/ok`)}`,
      {
        resolver,
        allowHosts,
        method: 'POST',
        body: '{"a":1}',
        headers: { Authorization: 'Bearer secret', 'content-type': 'application/json', 'x-trace': 'keep' },
      },
    );
    expect(res.status).toBe(200);
    expect(res.redirects).toHaveLength(1);
    expect(res.url).toBe(`http://other-allowed.test:${port}/ok`);
    const [first, second] = seen.slice(before);
    expect(first.method).toBe('POST');
    expect(first.headers.authorization).toBe('Bearer secret');
    expect(second.method).toBe('GET');
    expect(second.headers.authorization).toBeUndefined();
    expect(second.headers['x-trace']).toBe('keep');
  });

  it('stops after maxRedirects', async () => {
    const loop = `http://allowed.test:${port}/redirect?to=${encodeURIComponent(`http://allowed.test:${port}/redirect?to=/redirect`)}`;
    const err = await guardedFetch(loop, { resolver, allowHosts: ['allowed.test'], maxRedirects: 2 }).catch(
      (e: unknown) => e,
    );
    expect((err as NodeError).code).toBe('http_error');
    expect((err as NodeError).message).toMatch(/too many redirects/);
  });

  it('caps the response size (declared, streamed and decompressed)', async () => {
    const opts = { resolver, allowHosts: ['allowed.test'], maxBytes: 1000 };
    for (const p of ['/big', '/big-chunked', '/gzip-bomb']) {
      const err = await guardedFetch(`http://allowed.test:${port}${p}`, opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NodeError);
      expect((err as NodeError).code, `${p}: ${(err as Error).message}`).toBe('response_too_large');
      expect((err as NodeError).message).toContain('1000-byte limit');
    }
    const ok = await guardedFetch(`http://allowed.test:${port}/gzip`, opts);
    expect(ok.text()).toBe('compressed hello');
  });

  it('times out a server that never answers, and honours the caller signal', async () => {
    const t0 = Date.now();
    const err = await guardedFetch(`http://allowed.test:${port}/hang`, {
      resolver,
      allowHosts: ['allowed.test'],
      timeoutMs: 200,
    }).catch((e: unknown) => e);
    expect((err as NodeError).code).toBe('http_timeout');
    expect((err as NodeError).retryable).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);

    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const err2 = await guardedFetch(`http://allowed.test:${port}/hang`, {
      resolver,
      allowHosts: ['allowed.test'],
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect((err2 as NodeError).code).toBe('cancelled');
  });

  it('reports a resolver failure and a refused connection as http_error', async () => {
    const e1 = await guardedFetch('http://nowhere.test/', { resolver }).catch((e: unknown) => e);
    expect((e1 as NodeError).code).toBe('http_error');
    expect((e1 as NodeError).message).toMatch(/cannot resolve nowhere\.test/);
    const e2 = await guardedFetch('http://127.0.0.1:1/', { allowHosts: ['127.0.0.1'] }).catch((e: unknown) => e);
    expect((e2 as NodeError).code).toBe('http_error');
    expect((e2 as NodeError).message).toContain('ECONNREFUSED');
  });

  it('reports a connect error the OS raises at once as http_error (it used to be an uncaught socket error)', async () => {
    const direct = await guardedFetch(`http://unroutable.test:${port}/ok`, {
      resolver,
      allowHosts: ['unroutable.test'],
    }).catch((e: unknown) => e);
    expect(direct).toBeInstanceOf(NodeError);
    expect(direct).toMatchObject({ code: 'http_error', retryable: true });
    expect((direct as NodeError).message).toMatch(/request to http:\/\/unroutable\.test:\d+ failed: E[A-Z]+/);
    // the same on a redirect hop a third-party server points at
    const hop = await guardedFetch(
      `http://allowed.test:${port}/redirect?to=${encodeURIComponent(`http://unroutable.test:${port}/ok`)}`,
      { resolver, allowHosts: ['allowed.test', 'unroutable.test'] },
    ).catch((e: unknown) => e);
    expect(hop).toMatchObject({ code: 'http_error' });
    expect((hop as NodeError).message).toContain('unroutable.test');
  });
});

describe('checkAddress', () => {
  it('accepts public unicast addresses only', () => {
    expect(checkAddress('93.184.216.34').ok).toBe(true);
    expect(checkAddress('2606:4700:4700::1111').ok).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '192.0.2.1',
      '255.255.255.255',
      '64:ff9b::a00:1',
      '2002:7f00:1::',
      '::',
      '::1',
      '100.100.100.200',
      '198.18.0.1',
    ]) {
      expect(checkAddress(a).ok, a).toBe(false);
    }
  });
});
