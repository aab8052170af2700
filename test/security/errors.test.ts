/**
 * Error bodies: malformed requests of every kind get a 4xx with the JSON error envelope,
 * never a 5xx, and no error body carries a stack trace, file path or internal detail.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from '../http/harness';

describe('error bodies', () => {
  let h: Harness;
  let key = '';
  beforeAll(async () => {
    h = await startHarness();
    const dep = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'errs' } });
    key = ((await dep.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await h.close();
  });

  it('malformed requests are 4xx with { error: { code, message } } and no internals', async () => {
    const json = { 'content-type': 'application/json' };
    const v1 = () => ({ ...json, authorization: `Bearer ${key}` });
    const cases: Array<[string, string, Record<string, string>, string | undefined]> = [
      ['POST', '/api/flows/code-tool/runs', json, '{bad'],
      ['POST', '/v1/endpoints/errs', v1(), '{bad'],
      ['POST', '/v1/chat/completions', v1(), '{bad'],
      ['POST', '/api/flows/code-tool/runs', { ...json, 'content-type': 'application/json; charset=latin1' }, '{}'],
      ['POST', '/api/flows/code-tool/runs', { ...json, 'content-encoding': 'gzip' }, 'not gzip'],
      ['POST', '/api/flows/code-tool/runs', { ...json, 'content-encoding': 'bogus' }, '{}'],
      [
        'POST',
        '/api/flows/code-tool/runs',
        { ...json, 'content-encoding': 'gzip' },
        zlib.gzipSync('{"inputs":').toString('latin1'),
      ],
      ['POST', '/api/flows/code-tool/runs', json, '"string"'],
      ['POST', '/api/flows/code-tool/runs', json, '[]'],
      ['PUT', '/api/flows/code-tool', { ...json, 'if-match': '"stale"' }, '{}'],
      ['PROPFIND', '/api/flows', {}, undefined],
      ['GET', `/api/runs/${'x'.repeat(5000)}`, {}, undefined],
      ['GET', '/api/flows/%E0%A4%A', {}, undefined],
      ['POST', '/api/datasets', { 'content-type': 'multipart/form-data' }, 'garbage'],
      ['POST', '/api/datasets', { 'content-type': 'multipart/form-data; boundary=x' }, '--x\r\ngarbage'],
      ['POST', '/api/datasets?name=a', { 'content-type': 'text/csv' }, '"unterminated\n'],
      ['POST', '/api/datasets?name=b&filename=b.jsonl', { 'content-type': 'application/x-ndjson' }, '{bad json\n'],
      ['POST', '/api/knowledge-bases', json, '{"name":"k1","chunkSize":-1}'],
      ['POST', '/api/knowledge-bases', json, '{"name":"k2","embedding":"weird"}'],
      ['POST', '/api/evaluations', json, '{"flowId":"qa","datasetId":"x","config":[]}'],
      ['POST', '/api/alerts/rules', json, '{"kind":"error_rate","threshold":"x","webhookUrl":"javascript:alert(1)"}'],
      ['PATCH', '/api/deployments/errs', json, '{"settings":{"rateLimit":null}}'],
      ['POST', '/api/deployments/errs/rollback', json, '{"version":999}'],
      ['POST', '/api/flows/code-tool/chat', json, '{"message":123}'],
      ['POST', '/api/flows/code-tool/nodes/nope/run', json, '{}'],
      ['POST', '/v1/endpoints/errs?version=abc', v1(), '{"inputs":{"text":"x"}}'],
      ['POST', '/v1/endpoints/errs', v1(), '{"inputs":{"text":"x"},"sessionId":{"a":1}}'],
      ['POST', '/v1/chat/completions', v1(), '{"model":"errs","messages":"x"}'],
      ['POST', '/v1/endpoints/errs/feedback', v1(), '{"traceId":"x","score":{"a":1}}'],
      ['GET', '/v1/endpoints/errs/openapi.json?version=0', v1(), undefined],
    ];
    const problems: string[] = [];
    for (const [method, p, headers, body] of cases) {
      const res = await rawRequest(h.url, { method, path: p, headers, ...(body !== undefined ? { body } : {}) });
      const label = `${method} ${p.slice(0, 80)} → ${res.status} ${res.body.slice(0, 160)}`;
      if (res.status < 400 || res.status >= 500) problems.push(label);
      if (/\bat .+:\d+:\d+|node_modules|\/work\/|\.ts\b|stack/i.test(res.body)) problems.push(`internals: ${label}`);
      let parsed: { error?: { code?: unknown; message?: unknown } } = {};
      try {
        parsed = JSON.parse(res.body) as typeof parsed;
      } catch {
        problems.push(`not JSON: ${label}`);
      }
      if (typeof parsed.error?.code !== 'string' || typeof parsed.error?.message !== 'string')
        problems.push(`envelope: ${label}`);
    }
    expect(problems).toEqual([]);
    expect((await h.api('/api/health')).status).toBe(200);
  });
});
