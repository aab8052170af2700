/**
 * Knowledge uploads are capped per request (BRAID_UPLOAD_LIMIT), not only per file: a
 * declared Content-Length over the cap is a 413 before reading, a streamed (chunked) body
 * is cut off with 413 as soon as it passes the cap and its staged files are removed, and an
 * upload whose only file is over the per-file limit is a 413 rather than a 202 job.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { startHarness, type Harness } from '../http/harness';
import { postBigBody } from './support';

const MiB = 1024 * 1024;
const BOUNDARY = 'braidboundary';

/**
 * POST a multipart upload chunked (no Content-Length): `files` small files, then one file
 * of up to `bigBytes`, stopping as soon as the server answers.
 */
function postChunkedUpload(
  baseUrl: string,
  p: string,
  small: number,
  bigBytes: number,
): Promise<{ status: number; body: string; sentBeforeResponse: number; headers: http.IncomingHttpHeaders }> {
  const u = new URL(baseUrl);
  const part = (name: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n`;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let responded = false;
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: 'POST',
      path: p,
      agent: false,
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'transfer-encoding': 'chunked' },
    });
    req.on('response', (res) => {
      responded = true;
      const sentBeforeResponse = sent;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      const done = () => {
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(parts).toString('utf8'),
          sentBeforeResponse,
          headers: res.headers,
        });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    let head = '';
    for (let i = 0; i < small; i++) head += `${part(`s${i}.txt`)}small file ${i} about herons\r\n`;
    head += part('big.txt');
    req.write(head);
    let big = 0;
    const pump = (): void => {
      while (!responded && big < bigBytes) {
        const n = Math.min(chunk.length, bigBytes - big);
        big += n;
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (!responded) req.end(`\r\n--${BOUNDARY}--\r\n`);
    };
    pump();
  });
}

describe('BRAID_UPLOAD_LIMIT', () => {
  it('parses sizes and refuses nonsense at boot', () => {
    expect(loadConfig({}).uploadLimitBytes).toBe(200 * MiB);
    expect(loadConfig({ BRAID_UPLOAD_LIMIT: '512kb' }).uploadLimitBytes).toBe(512 * 1024);
    expect(loadConfig({ BRAID_UPLOAD_LIMIT: '1048576' }).uploadLimitBytes).toBe(MiB);
    expect(() => loadConfig({ BRAID_UPLOAD_LIMIT: 'lots' })).toThrow(/BRAID_UPLOAD_LIMIT/);
  });
});

describe('knowledge upload: total size cap per request', () => {
  let h: Harness;
  let staging = '';
  beforeAll(async () => {
    h = await startHarness({ examples: false, env: { BRAID_UPLOAD_LIMIT: '2mb' } });
    expect(h.config.uploadLimitBytes).toBe(2 * MiB);
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'capkb' } })).status).toBe(201);
    staging = path.join(h.dataDir, 'knowledge', 'staging');
  });
  afterAll(async () => {
    await h.close();
  });

  const stagedFiles = (): string[] =>
    fs.existsSync(staging) ? fs.readdirSync(staging, { recursive: true }).map(String) : [];

  it('a declared Content-Length over the cap is a 413 before the body is read', async () => {
    const r = await postBigBody(h.url, '/api/knowledge-bases/capkb/documents', 50 * MiB, {
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    });
    expect(r.status, r.body).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    expect(JSON.parse(r.body).error.message).toMatch(/BRAID_UPLOAD_LIMIT/);
    expect(r.headers.connection).toBe('close');
    expect(r.sentBeforeResponse).toBeLessThan(8 * MiB);
    expect(stagedFiles()).toEqual([]);
  });

  it('a streamed body is cut off with 413 once it passes the cap, and its staged files are removed', async () => {
    const r = await postChunkedUpload(h.url, '/api/knowledge-bases/capkb/documents', 3, 60 * MiB);
    expect(r.status, r.body).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'payload_too_large' } });
    // reading stopped near the cap, not after the 60 MiB
    expect(r.sentBeforeResponse).toBeLessThan(12 * MiB);
    expect(stagedFiles()).toEqual([]);
    const jobs = (await (await h.api('/api/knowledge-bases/capkb/jobs')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]);
    expect((await h.api('/api/health')).status).toBe(200);
  });

  it('an upload under the cap still ingests', async () => {
    const r = await postChunkedUpload(h.url, '/api/knowledge-bases/capkb/documents', 2, 1000);
    expect(r.status, r.body).toBe(202);
  });
});

describe('knowledge upload: a single file over the per-file limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ examples: false });
    expect(h.config.uploadLimitBytes).toBe(200 * MiB); // the default
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'onekb' } })).status).toBe(201);
  });
  afterAll(async () => {
    await h.close();
  });

  it('is a 413 with the JSON error envelope, not a 202 job with an item error', async () => {
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(51 * MiB).fill(0x61)]), 'big.txt');
    const res = await h.api('/api/knowledge-bases/onekb/documents', { method: 'POST', body: form });
    const body = (await res.json()) as { error: { code: string; message: string; details?: { files: unknown[] } } };
    expect(res.status).toBe(413);
    expect(body.error.code).toBe('payload_too_large');
    expect(body.error.message).toMatch(/big\.txt/);
    expect(body.error.details?.files).toEqual([
      { name: 'big.txt', error: { code: 'file_too_large', message: expect.stringMatching(/big\.txt/) } },
    ]);
    const jobs = (await (await h.api('/api/knowledge-bases/onekb/jobs')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]);
    expect(fs.readdirSync(path.join(h.dataDir, 'knowledge', 'staging'))).toEqual([]);
  }, 30_000);
});
