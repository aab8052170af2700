/**
 * Path traversal: flow ids, knowledge-base names, dataset names, upload filenames and
 * export downloads never reach a path outside the flows folder or the data folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, waitFor, type Harness } from '../http/harness';

function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true }).map(String);
}

describe('path traversal', () => {
  let h: Harness;
  let root = '';
  let before: string[] = [];
  beforeAll(async () => {
    h = await startHarness();
    root = path.dirname(h.flowsDir);
    before = fs.readdirSync(root);
  });
  afterAll(async () => {
    await h.close();
  });

  const ids = [
    '..',
    '.',
    '...',
    '../x',
    '..\\x',
    'a/../../x',
    '%2e%2e',
    '%2e%2e%2fx',
    '..%2fx',
    '..%5cx',
    'x%00',
    'X',
    'ä',
    '.hidden',
    'a'.repeat(300),
  ];

  it('flow ids in paths and bodies', async () => {
    for (const id of ids) {
      for (const method of ['GET', 'PUT', 'DELETE', 'POST']) {
        const p = method === 'POST' ? `/api/flows/${id}/runs` : `/api/flows/${id}`;
        const res = await rawRequest(h.url, {
          method,
          path: p,
          headers: { 'content-type': 'application/json' },
          body: '{"id":"x","name":"x","schemaVersion":1,"nodes":[],"edges":[]}',
        });
        expect([400, 404], `${method} ${p} → ${res.status}`).toContain(res.status);
      }
      const post = await h.api('/api/flows', {
        method: 'POST',
        json: { id: decodeURIComponent(id), name: 'x', schemaVersion: 1, nodes: [], edges: [] },
      });
      expect([400, 409, 422], `POST id ${id} → ${post.status}`).toContain(post.status);
    }
    expect(fs.readdirSync(root).sort()).toEqual(before.sort());
    expect(fs.readdirSync(h.flowsDir).every((f) => /^[a-z0-9][a-z0-9_-]*\.flow\.json$/.test(f))).toBe(true);
  });

  it('knowledge-base names in paths and bodies', async () => {
    for (const name of ['../x', '..', '.', 'a/b', 'a\\b', '/etc', 'X', '', 'a'.repeat(80), 'x\u0000']) {
      const res = await h.api('/api/knowledge-bases', { method: 'POST', json: { name } });
      expect(res.status, `create ${JSON.stringify(name)}`).toBe(400);
    }
    for (const id of ['..%2f..', '%2e%2e', '...', '.x', 'X']) {
      for (const [method, suffix] of [
        ['GET', ''],
        ['DELETE', ''],
        ['GET', '/documents'],
        ['POST', '/query'],
        ['POST', '/urls'],
      ] as const) {
        const res = await rawRequest(h.url, {
          method,
          path: `/api/knowledge-bases/${id}${suffix}`,
          headers: { 'content-type': 'application/json' },
          body: '{"query":"x","urls":["http://example.invalid/"]}',
        });
        expect([400, 404], `${method} ${id}${suffix} → ${res.status} ${res.body.slice(0, 120)}`).toContain(res.status);
      }
    }
  });

  it('upload filenames (knowledge and datasets) cannot escape the staging folder', async () => {
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'travkb' } })).status).toBe(201);
    const form = new FormData();
    for (const name of [
      '../../../escaped-kb.txt',
      '..\\..\\escaped-kb2.txt',
      '/tmp/escaped-kb3.txt',
      '....//escaped4.txt',
    ])
      form.append('files', new Blob(['hello world. Braid.'], { type: 'text/plain' }), name);
    const up = await h.api('/api/knowledge-bases/travkb/documents', { method: 'POST', body: form });
    expect(up.status, await up.clone().text()).toBe(202);
    const job = (await up.json()) as { id: string };
    await waitFor(async () => {
      const j = (await (await h.api(`/api/knowledge-bases/travkb/jobs/${job.id}`)).json()) as { status: string };
      return j.status === 'running' || j.status === 'queued' ? undefined : j;
    }, 15_000);
    const docs = JSON.stringify(await (await h.api('/api/knowledge-bases/travkb/documents')).json());
    expect(docs).not.toContain('../');
    expect(docs).not.toContain('..\\\\');
    expect(fs.existsSync('/tmp/escaped-kb3.txt')).toBe(false);

    const f2 = new FormData();
    f2.append('name', '../../escaped-ds');
    f2.append('file', new Blob(['a,b\n1,2\n'], { type: 'text/csv' }), '../../../escaped-ds.csv');
    const ds = await h.api('/api/datasets', { method: 'POST', body: f2 });
    expect(ds.status).toBeLessThan(500);
    const raw = await h.api('/api/datasets?name=../../escaped-raw&filename=../../../escaped-raw.csv', {
      method: 'POST',
      body: 'a,b\n1,2\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(raw.status).toBeLessThan(500);
    const all = [...listTree(root), ...fs.readdirSync(path.dirname(root))].join('\n');
    expect(all).not.toMatch(/escaped/);
  });

  it('export downloads and record ids take no paths', async () => {
    for (const id of ['..%2f..%2fetc%2fpasswd', '%2e%2e', '...', 'x%22;%20filename=evil', 'x%0d%0aSet-Cookie:%20a=b']) {
      for (const p of [
        `/api/evaluations/${id}/export?format=csv`,
        `/api/evaluations/${id}`,
        `/api/runs/${id}`,
        `/api/datasets/${id}`,
        `/api/dataset-versions/${id}/rows`,
        `/api/deployments/${id}`,
        `/api/deployments/${id}/logs`,
      ]) {
        const res = await rawRequest(h.url, { method: 'GET', path: p });
        expect([400, 404], `${p} → ${res.status}`).toContain(res.status);
        expect(res.headers['set-cookie']).toBeUndefined();
        expect(res.headers['content-disposition']).toBeUndefined();
      }
    }
  });
});
