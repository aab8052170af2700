import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { httpToolConfig, type HttpToolConfig } from '../../../shared/nodes/tool';
import { NodeError } from '../types';
import { createHttpToolExecutor, redactUrl } from './tool-http';
import { executorContext } from '../../../test/support/executor-context';
import type { Resolver } from '../../net/guarded-fetch';

let server: http.Server;
let port: number;
let last: { url: string; method: string; headers: http.IncomingHttpHeaders; body: string } | undefined;
const resolver: Resolver = async (host) => {
  if (host === 'allowed.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error('unknown'), { code: 'ENOTFOUND' });
};
const exec = createHttpToolExecutor({ resolver });
const env = { BRAID_HTTP_ALLOW_HOSTS: 'allowed.test' };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      last = {
        url: req.url ?? '',
        method: req.method ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname === '/json') {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'abc' });
        res.end(JSON.stringify({ ok: true, query: Object.fromEntries(u.searchParams) }));
      } else if (u.pathname === '/png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]));
      } else if (u.pathname === '/text') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('plain text');
      } else if (u.pathname === '/echo') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(last.body || 'null');
      } else if (u.pathname === '/busy') {
        res.writeHead(503, { 'retry-after': '3', 'content-type': 'text/plain' });
        res.end('try later');
      } else if (u.pathname === '/hang') {
        // never answers
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`no route ${u.pathname}`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const cfg = (c: Partial<HttpToolConfig>): HttpToolConfig =>
  httpToolConfig.parse({ kind: 'http', url: `http://allowed.test:${port}/json`, ...c });

async function failure(p: Promise<unknown>): Promise<NodeError> {
  const e = await p.then(
    () => new Error('expected failure'),
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(NodeError);
  return e as NodeError;
}

describe('http tool', () => {
  it('URL-encodes template values and parses JSON responses', async () => {
    const ctx = executorContext(
      'tool',
      cfg({ url: `http://allowed.test:${port}/json?q={{q}}&page={{page}}` }),
      { q: 'a b&c=d/e#f', page: 2 },
      { env },
    );
    const res = await exec(ctx);
    expect(res.outputs.status).toBe(200);
    expect(res.outputs.body).toEqual({ ok: true, query: { q: 'a b&c=d/e#f', page: '2' } });
    expect((res.outputs.headers as Record<string, string>)['x-request-id']).toBe('abc');
    const path = await exec(
      executorContext(
        'tool',
        cfg({ url: `http://allowed.test:${port}/items/{{id}}`, failOnHttpError: false }),
        { id: '../json' },
        { env },
      ),
    );
    expect(last?.url).toBe('/items/..%2Fjson');
    expect(path.outputs.status).toBe(404);
  });

  it('renders a JSON body with string values escaped, and headers', async () => {
    const c = cfg({
      method: 'POST',
      url: `http://allowed.test:${port}/echo`,
      headers: { Authorization: 'Bearer {{token}}', 'X-User': '{{user}}' },
      body: '{"question": "{{q}}", "tags": {{tags}}}',
    });
    const ctx = executorContext(
      'tool',
      c,
      { q: 'He said "hi"\nthen left', tags: ['a', 'b'], token: 'secret-token-123', user: 'ann' },
      { env },
    );
    const res = await exec(ctx);
    expect(res.outputs.body).toEqual({ question: 'He said "hi"\nthen left', tags: ['a', 'b'] });
    expect(last?.headers['content-type']).toBe('application/json');
    expect(last?.headers.authorization).toBe('Bearer secret-token-123');
    expect(last?.headers['x-user']).toBe('ann');
    const meta = JSON.stringify(ctx.meta);
    expect(meta).not.toContain('secret-token-123');
    expect(ctx.meta).toMatchObject({
      http: { method: 'POST', status: 200, requestHeaders: { authorization: '[redacted]', 'x-user': 'ann' } },
    });
  });

  it('refuses a header value with a line break', async () => {
    const err = await failure(
      exec(executorContext('tool', cfg({ headers: { 'X-A': '{{v}}' } }), { v: 'x\r\nX-Injected: 1' }, { env })),
    );
    expect(err.code).toBe('invalid_input');
    for (const h of ['Host', 'Content-Length', 'Transfer-Encoding']) {
      const e = await failure(exec(executorContext('tool', cfg({ headers: { [h]: '1' } }), {}, { env })));
      expect(e.message).toContain('cannot be configured');
    }
  });

  it('returns text per responseType and content type', async () => {
    const t = await exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/text` }), {}, { env }));
    expect(t.outputs.body).toBe('plain text');
    const j = await exec(executorContext('tool', cfg({ responseType: 'text' }), {}, { env }));
    expect(typeof j.outputs.body).toBe('string');
    const png = await exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/png` }), {}, { env }));
    expect(png.outputs.body).toEqual({
      contentType: 'image/png',
      base64: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00]).toString('base64'),
    });
    const bad = await failure(
      exec(
        executorContext('tool', cfg({ url: `http://allowed.test:${port}/text`, responseType: 'json' }), {}, { env }),
      ),
    );
    expect(bad.code).toBe('invalid_response');
  });

  it('fails on HTTP errors (5xx retryable with Retry-After, 404 final) unless told not to', async () => {
    const e404 = await failure(
      exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/missing` }), {}, { env })),
    );
    expect(e404).toMatchObject({ code: 'http_error', retryable: false });
    expect(e404.message).toContain('HTTP 404');
    const e503 = await failure(
      exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/busy` }), {}, { env })),
    );
    expect(e503).toMatchObject({ code: 'http_error', retryable: true, retryAfterMs: 3000 });
    const ok = await exec(
      executorContext('tool', cfg({ url: `http://allowed.test:${port}/busy`, failOnHttpError: false }), {}, { env }),
    );
    expect(ok.outputs).toMatchObject({ status: 503, body: 'try later' });
  });

  it('goes through the SSRF guard: private targets refused, allow-list from config', async () => {
    const e1 = await failure(exec(executorContext('tool', cfg({ url: `http://127.0.0.1:${port}/json` }), {}, { env })));
    expect(e1.code).toBe('ssrf_blocked');
    const e2 = await failure(
      exec(executorContext('tool', cfg({ url: 'http://169.254.169.254/latest/meta-data' }), {}, { env })),
    );
    expect(e2.code).toBe('ssrf_blocked');
    const e3 = await failure(
      exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/json` }), {}, { env: {} })),
    );
    expect(e3.code).toBe('ssrf_blocked'); // allowed.test → 127.0.0.1 is refused without the allow-list
  });

  it('times out and caps size per config', async () => {
    const t = await failure(
      exec(executorContext('tool', cfg({ url: `http://allowed.test:${port}/hang`, timeoutMs: 200 }), {}, { env })),
    );
    expect(t.code).toBe('http_timeout');
    const big = await failure(
      exec(
        executorContext(
          'tool',
          cfg({ url: `http://allowed.test:${port}/json?pad=${'x'.repeat(200)}`, maxBytes: 50 }),
          {},
          { env },
        ),
      ),
    );
    expect(big.code).toBe('response_too_large');
  });

  it('redacts credentials in URLs for traces', () => {
    expect(redactUrl('https://u:p@api.test/x?q=1&api_key=abc&token=t')).toBe(
      'https://redacted:redacted@api.test/x?q=1&api_key=%5Bredacted%5D&token=%5Bredacted%5D',
    );
  });
});
