/**
 * Issue 9 item 16: a body that is not JSON sent to a JSON route is 415, not read as
 * "no body" (text/plain is what a cross-site page can send without a CORS preflight).
 * Upload routes keep their raw types; requests without a body are unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from '../http/harness';

let h: Harness;
let key = '';
let slug = '';

beforeAll(async () => {
  h = await startHarness();
  const res = await h.api('/api/flows/qa/deployments', { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  ({ apiKey: key, slug } = (await res.json()) as { apiKey: string; slug: string });
});
afterAll(async () => {
  await h?.close();
});

const JSON_LOOKING = '{"id":"planted","name":"植えられた","schemaVersion":1,"nodes":[],"edges":[]}';

describe('JSON routes refuse other body types with 415', () => {
  it('text/plain, forms and untyped bodies', async () => {
    const routes: Array<[string, string, Record<string, string>?]> = [
      ['POST', '/api/flows'],
      ['PUT', '/api/flows/planted'],
      ['POST', '/api/flows/qa/runs'],
      ['POST', '/api/flows/qa/validate'],
      ['POST', '/api/evaluations'],
      ['POST', '/api/knowledge-bases'],
      ['POST', '/api/datasets/x/rows'],
      ['POST', `/v1/endpoints/${slug}`, { authorization: `Bearer ${key}` }],
      ['POST', '/v1/chat/completions', { authorization: `Bearer ${key}` }],
    ];
    for (const [method, path, extra] of routes) {
      for (const type of ['text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', undefined]) {
        const res = await rawRequest(h.url, {
          method,
          path,
          headers: { ...(type ? { 'content-type': type } : {}), ...extra },
          body: JSON_LOOKING,
        });
        expect(res.status, `${method} ${path} as ${type ?? '(none)'}: ${res.body}`).toBe(415);
        expect(JSON.parse(res.body).error.code).toBe('unsupported_media_type');
      }
    }
    expect((await h.api('/api/flows/planted')).status).toBe(404);
  });

  it('JSON still works, upload routes keep their raw types, and bodiless requests pass', async () => {
    const ok = await h.api('/api/flows/qa/validate', { method: 'POST', json: {} });
    expect(ok.status).toBe(200);
    const vendorJson = await rawRequest(h.url, {
      method: 'POST',
      path: '/api/flows/qa/validate',
      headers: { 'content-type': 'application/merge-patch+json' },
      body: '{}',
    });
    expect(vendorJson.status).toBe(200);
    const csv = await h.api('/api/datasets?name=plain&filename=p.csv', {
      method: 'POST',
      body: 'question,expected\n東京は？,首都\n',
      headers: { 'content-type': 'text/plain' },
    });
    expect(csv.status).toBe(201);
    const form = new FormData();
    form.append('file', new Blob(['question,expected\n大阪は？,都市\n'], { type: 'text/csv' }), 'f.csv');
    expect((await h.api('/api/datasets', { method: 'POST', body: form })).status).toBe(201);
    // A POST without a body (cancel, resume…) is not a body of the wrong type.
    const empty = await rawRequest(h.url, {
      method: 'POST',
      path: '/api/runs/no-such-run/cancel',
      headers: { 'content-type': 'text/plain', 'content-length': '0' },
      body: '',
    });
    expect(empty.status).not.toBe(415);
  });
});
