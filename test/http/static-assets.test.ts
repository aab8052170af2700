/**
 * The builder UI's files are served compressed (the brotli / gzip copies the build writes,
 * scripts/precompress.mjs) with `Content-Encoding` and `Vary: Accept-Encoding`; hashed
 * assets are cached for a year (immutable), the page itself is revalidated every time, and a
 * hashed asset that does not exist is a 404 rather than the page.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { precompress } from '../../scripts/precompress.mjs';
import { UI_CSP } from '../../server/http/static';
import { startHarness, type Harness } from './harness';

interface Got {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

const SCRIPT = `// 日本語のコメント: ${'export const greeting = "こんにちは、Braid";\n'.repeat(400)}`;
const PAGE = `<!doctype html><html><head><title>Braid UI</title><script type="module" src="/assets/app-Ab12Cd34.js"></script></head><body>${'<div id="root"></div>'.repeat(40)}</body></html>`;

describe('static assets: compression and cache lifetimes', () => {
  let h: Harness;
  let dir: string;
  const url = (p: string) => `${h.url}${p}`;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-static-'));
    fs.mkdirSync(path.join(dir, 'assets'));
    fs.writeFileSync(path.join(dir, 'index.html'), PAGE);
    fs.writeFileSync(path.join(dir, 'assets', 'app-Ab12Cd34.js'), SCRIPT);
    // random bytes do not compress: served as they are
    fs.writeFileSync(path.join(dir, 'assets', 'noise-Zz99Yy88.wasm'), crypto.randomBytes(4096));
    const stats = await precompress(dir);
    expect(stats.brotliBytes).toBeLessThan(stats.bytes);
    h = await startHarness({ clientDir: dir, examples: false });
  });
  afterAll(async () => {
    await h?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sends the brotli copy to a browser that accepts it, cached for a year', async () => {
    const r = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': 'gzip, deflate, br, zstd' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(r.headers.vary).toMatch(/accept-encoding/i);
    expect(r.headers['content-type']).toMatch(/javascript/);
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.headers['content-security-policy']).toBe(UI_CSP);
    expect(Number(r.headers['content-length'])).toBe(r.body.length);
    expect(r.body.length).toBeLessThan(Buffer.byteLength(SCRIPT) / 10);
    expect(zlib.brotliDecompressSync(r.body).toString('utf8')).toBe(SCRIPT);
  });

  it('sends gzip when brotli is not accepted (or refused with q=0), and the plain file to anyone else', async () => {
    for (const ae of ['gzip', 'br;q=0, gzip;q=0.8', 'x-gzip']) {
      const r = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': ae });
      expect(r.headers['content-encoding'], ae).toBe('gzip');
      expect(zlib.gunzipSync(r.body).toString('utf8')).toBe(SCRIPT);
    }
    for (const ae of [undefined, 'identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const r = await get(url('/assets/app-Ab12Cd34.js'), ae === undefined ? {} : { 'accept-encoding': ae });
      expect(r.headers['content-encoding'], String(ae)).toBeUndefined();
      expect(r.headers.vary).toMatch(/accept-encoding/i);
      expect(r.body.toString('utf8')).toBe(SCRIPT);
    }
    const star = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': '*' });
    expect(star.headers['content-encoding']).toBe('br');
  });

  it('revalidates a compressed response by its own ETag (304), and answers HEAD without a body', async () => {
    const first = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': 'br' });
    const gz = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': 'gzip' });
    expect(first.headers.etag).toBeTruthy();
    expect(first.headers.etag).not.toBe(gz.headers.etag);
    const again = await get(url('/assets/app-Ab12Cd34.js'), {
      'accept-encoding': 'br',
      'if-none-match': first.headers.etag as string,
    });
    expect(again.status).toBe(304);
    const head = await get(url('/assets/app-Ab12Cd34.js'), { 'accept-encoding': 'br' }, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-encoding']).toBe('br');
    expect(head.body.length).toBe(0);
  });

  it('serves a file that does not compress as it is', async () => {
    const r = await get(url('/assets/noise-Zz99Yy88.wasm'), { 'accept-encoding': 'br, gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(r.body.length).toBe(4096);
  });

  it('sends the page compressed and never cached without revalidation, at / and at app routes', async () => {
    for (const p of ['/', '/flows/qa', '/index.html']) {
      const r = await get(url(p), { 'accept-encoding': 'br' });
      expect(r.status, p).toBe(200);
      expect(r.headers['cache-control'], p).toBe('no-cache');
      expect(r.headers['content-encoding'], p).toBe('br');
      expect(r.headers['content-type'], p).toMatch(/text\/html/);
      expect(r.headers['content-security-policy'], p).toBe(UI_CSP);
      expect(zlib.brotliDecompressSync(r.body).toString('utf8'), p).toBe(PAGE);
    }
  });

  it('answers a missing hashed asset with 404, not the page; the API keeps its JSON errors', async () => {
    const r = await get(url('/assets/app-OldHash0.js'), { 'accept-encoding': 'br' });
    expect(r.status).toBe(404);
    expect(r.headers['content-type']).not.toMatch(/html/);
    expect(r.headers['cache-control']).toBe('no-store');
    const copy = await get(url('/assets/app-Ab12Cd34.js.br'));
    expect(copy.status).toBe(404);
    const api = await get(url('/api/unknown'));
    expect(api.status).toBe(404);
    expect(api.headers['content-type']).toMatch(/json/);
  });

  it('picks up a new build made while the server runs: new assets are served, the page revalidates', async () => {
    const before = await get(url('/'), { 'accept-encoding': 'br' });
    const script2 = `export const 新しい = "${'v2 '.repeat(500)}";\n`;
    const page2 = PAGE.replace('app-Ab12Cd34.js', 'app-Ef56Gh78.js');
    fs.writeFileSync(path.join(dir, 'assets', 'app-Ef56Gh78.js'), script2);
    fs.writeFileSync(path.join(dir, 'index.html'), page2);
    const later = new Date(Date.now() + 5_000);
    fs.utimesSync(path.join(dir, 'index.html'), later, later);
    for (const f of ['index.html.br', 'index.html.gz']) fs.rmSync(path.join(dir, f), { force: true });
    await precompress(dir);

    const stale = await get(url('/'), { 'accept-encoding': 'br', 'if-none-match': before.headers.etag as string });
    expect(stale.status).toBe(200);
    expect(zlib.brotliDecompressSync(stale.body).toString('utf8')).toBe(page2);
    const asset = await get(url('/assets/app-Ef56Gh78.js'), { 'accept-encoding': 'gzip' });
    expect(asset.status).toBe(200);
    expect(zlib.gunzipSync(asset.body).toString('utf8')).toBe(script2);
  });
});
