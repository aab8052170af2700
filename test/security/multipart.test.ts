/**
 * Malformed multipart bodies (issue 9, item 2): a body whose closing boundary never comes
 * ("Unexpected end of form") used to end the process on the knowledge upload route and be a
 * 500 on the dataset route. Both answer 400 with a clear message, staged files are removed,
 * and the server keeps serving.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../http/harness';
import { BOUNDARY, postRaw, truncatedMultipart } from './support';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ examples: false });
  const kb = await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'kb' } });
  expect(kb.status).toBe(201);
}, 60_000);
afterAll(async () => h?.close());

function stagedFiles(): string[] {
  const dir = path.join(h.dataDir, 'knowledge', 'staging');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String);
}

describe('a multipart body without its closing boundary', () => {
  it('is a 400 on the knowledge upload route, with nothing left staged, and the server keeps serving', async () => {
    const res = await postRaw(h.url, '/api/knowledge-bases/kb/documents', truncatedMultipart('files', '資料.txt'));
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.message).toMatch(/ended before its closing boundary/);
    expect(stagedFiles()).toEqual([]);
    expect((await h.api('/api/health')).status).toBe(200);
    const jobs = (await (await h.api('/api/knowledge-bases/kb/jobs')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toEqual([]);
  });

  it('is a 400 (not a 500) on the dataset upload route, and no dataset is left half imported', async () => {
    const res = await postRaw(h.url, '/api/datasets?name=cut', truncatedMultipart('file', 'qa.csv'));
    expect(res.status).toBe(400);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.message).toMatch(/ended before its closing boundary/);
    const list = (await (await h.api('/api/datasets')).json()) as { datasets: Array<{ id: string; name: string }> };
    for (const d of list.datasets.filter((x) => x.name === 'cut')) {
      const detail = (await (await h.api(`/api/datasets/${d.id}`)).json()) as { versions: unknown[] };
      expect(detail.versions).toEqual([]);
    }
    expect((await h.api('/api/health')).status).toBe(200);
  });

  it('a header-only body and a missing boundary are 400s on both routes', async () => {
    for (const route of ['/api/knowledge-bases/kb/documents', '/api/datasets?name=x']) {
      const cut = await postRaw(h.url, route, Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-da`));
      expect(cut.status, route).toBe(400);
      const noBoundary = await postRaw(h.url, route, Buffer.from('x'), 'multipart/form-data');
      expect(noBoundary.status, route).toBe(400);
    }
    expect(stagedFiles()).toEqual([]);
  });

  it('a well-formed upload with a Japanese file name still works', async () => {
    const ok = Buffer.concat([truncatedMultipart('files', '資料.txt'), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
    const res = await postRaw(h.url, '/api/knowledge-bases/kb/documents', ok);
    expect(res.status).toBe(202);
    expect((JSON.parse(res.body) as { items: Array<{ name: string }> }).items[0]?.name).toBe('資料.txt');
  });
});
