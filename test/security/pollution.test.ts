/**
 * Prototype pollution: every POST / PUT / PATCH route (enumerated from the live router, so a
 * new route is covered without editing this file) gets JSON bodies with `__proto__` and
 * `constructor.prototype` at the top and nested anywhere; uploads carry them in CSV/JSONL
 * rows and multipart field names. Afterwards `({}).polluted` is undefined and the server serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { rawRequest, startHarness, type Harness } from '../http/harness';

const BODIES = [
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"inputs":{"__proto__":{"polluted":1}}}',
  '{"inputs":{"question":"q","nested":[{"constructor":{"prototype":{"polluted":1}}}]}}',
  '{"settings":{"__proto__":{"polluted":1}},"slug":"x"}',
  '{"flow":{"id":"x","nodes":[{"config":{"__proto__":{"polluted":1}}}]}}',
  '{"config":{"mapping":{"__proto__":{"polluted":1}}},"flowId":"qa","datasetId":"d"}',
  '{"rows":[{"__proto__":{"polluted":1}}]}',
  '{"messages":[{"role":"user","content":"x","__proto__":{"polluted":1}}],"model":"sec-p"}',
  '{"a":{"b":{"c":{"d":{"e":{"__proto__":{"polluted":1}}}}}}}',
  '[{"__proto__":{"polluted":1}}]',
  '{"\\u005f\\u005fproto\\u005f\\u005f":{"polluted":1}}',
];

function routes(app: Express): Array<{ method: string; path: string }> {
  const out: Array<{ method: string; path: string }> = [];
  const stack = (app as unknown as { router: { stack: Array<{ handle?: { stack?: unknown[] } }> } }).router.stack;
  for (const layer of stack) {
    for (const l of (layer.handle?.stack ?? []) as Array<{
      route?: { path: string | string[]; methods: Record<string, boolean> };
    }>) {
      if (!l.route) continue;
      for (const p of Array.isArray(l.route.path) ? l.route.path : [l.route.path])
        for (const m of Object.keys(l.route.methods))
          if (['post', 'put', 'patch'].includes(m)) out.push({ method: m.toUpperCase(), path: p });
    }
  }
  return out;
}

const polluted = () =>
  (({}) as Record<string, unknown>).polluted ?? (Object.prototype as Record<string, unknown>).polluted;

describe('prototype pollution through request bodies', () => {
  let h: Harness;
  let key = '';
  let datasetId = '';
  beforeAll(async () => {
    h = await startHarness();
    const dep = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'sec-p' } });
    key = ((await dep.json()) as { apiKey: string }).apiKey;
    const ds = await h.api('/api/datasets?name=pp&filename=pp.csv', {
      method: 'POST',
      body: 'a,b\n1,2\n',
      headers: { 'content-type': 'text/csv' },
    });
    datasetId = ((await ds.json()) as { dataset: { id: string } }).dataset.id;
  });
  afterAll(async () => {
    await h.close();
  });

  it('every POST/PUT/PATCH JSON route refuses polluting keys with 400, and nothing is polluted', async () => {
    const list = routes(h.server.app.app);
    expect(list.length).toBeGreaterThan(25);
    const ids: Record<string, string> = {
      id: 'qa',
      nodeId: 'answer',
      slug: 'sec-p',
      kb: 'example',
      docId: 'x',
      keyId: 'x',
      traceId: 'x',
      sessionId: 's1',
      version: '1',
      row: '0',
    };
    const failures: string[] = [];
    for (const r of list) {
      const p = r.path.replace(/:(\w+)/g, (_m, name: string) =>
        name === 'id' && r.path.startsWith('/api/datasets') ? datasetId : (ids[name] ?? 'x'),
      );
      for (const body of BODIES) {
        const res = await rawRequest(h.url, {
          method: r.method,
          path: p,
          headers: {
            'content-type': 'application/json',
            ...(p.startsWith('/v1/') ? { authorization: `Bearer ${key}` } : {}),
          },
          body,
        });
        // the unicode-escaped spelling is the same key once parsed
        if (res.status !== 400) failures.push(`${r.method} ${p} ${body} → ${res.status} ${res.body.slice(0, 160)}`);
        if (res.status >= 500) failures.push(`${r.method} ${p} → 5xx`);
        if (polluted() !== undefined) failures.push(`${r.method} ${p} ${body} POLLUTED`);
      }
    }
    expect(failures).toEqual([]);
    expect(polluted()).toBeUndefined();
  });

  it('CSV / JSONL datasets and knowledge uploads with __proto__ columns and rows pollute nothing', async () => {
    const jsonl = '{"__proto__":{"polluted":1},"q":"a"}\n{"constructor":{"prototype":{"polluted":1}},"q":"b"}\n';
    const up = await h.api('/api/datasets?name=ppjsonl&filename=p.jsonl', {
      method: 'POST',
      body: jsonl,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    expect([201, 400]).toContain(up.status);
    const csv = '__proto__,constructor,prototype,q\n{"polluted":1},x,y,z\n';
    const up2 = await h.api('/api/datasets?name=ppcsv&filename=p.csv', {
      method: 'POST',
      body: csv,
      headers: { 'content-type': 'text/csv' },
    });
    expect([201, 400]).toContain(up2.status);
    if (up2.status === 201) {
      const { version } = (await up2.json()) as { version: { id: string } };
      const rows = await h.api(`/api/dataset-versions/${version.id}/rows`);
      expect(rows.status).toBe(200);
      // an evaluation that maps an input from the "__proto__" column
      const { dataset } = (await up2.clone().json()) as { dataset: { id: string } };
      const ev = await h.api('/api/evaluations', {
        method: 'POST',
        json: {
          flowId: 'code-tool',
          datasetId: dataset.id,
          config: { mapping: { numbers: '__proto__' }, metrics: ['exact_match'] },
        },
      });
      expect(ev.status).toBeLessThan(500);
    }
    const form = new FormData();
    form.append('__proto__', '{"polluted":1}');
    form.append('constructor', 'x');
    form.append('files', new Blob([jsonl], { type: 'application/x-ndjson' }), '__proto__.jsonl');
    const kb = await h.api('/api/knowledge-bases/example/documents', { method: 'POST', body: form });
    expect(kb.status).toBeLessThan(500);
    const form2 = new FormData();
    form2.append('__proto__', 'x');
    form2.append('name', 'ppmulti');
    form2.append('file', new Blob([jsonl], { type: 'application/x-ndjson' }), '__proto__.jsonl');
    const ds = await h.api('/api/datasets', { method: 'POST', body: form2 });
    expect(ds.status).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    expect(polluted()).toBeUndefined();
    expect((await h.api('/api/health')).status).toBe(200);
  });

  it('a flow run whose inputs, code tool and transforms see __proto__ data pollutes nothing', async () => {
    const res = await h.api('/api/flows/code-tool/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"inputs":{"numbers":[1,2,3]},"extra":{"x":1}}',
    });
    expect(res.status).toBeLessThan(500);
    expect(polluted()).toBeUndefined();
  });
});
