/**
 * List endpoints validate `limit` / `offset`: integers in range, else 400 `invalid_query`
 * naming the parameter (a `limit=-1` used to reach SQLite as `LIMIT -1`, i.e. no limit).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

describe('limit / offset query validation', () => {
  let h: Harness;
  let versionId = '';
  beforeAll(async () => {
    h = await startHarness();
    const up = await h.api('/api/datasets?name=q', {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"q":"a"}\n{"q":"b"}\n{"q":"c"}\n',
    });
    expect(up.status).toBe(201);
    versionId = ((await up.json()) as { version: { id: string } }).version.id;
    const dep = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'ql' } });
    expect(dep.status).toBe(201);
  });
  afterAll(async () => {
    await h.close();
  });

  const bad = ['-1', '0', '1.5', 'abc', '1e3', '99999999999'];
  const routes: Array<[string, string]> = [
    ['/api/evaluations', 'limit'],
    ['/api/evaluations/compare?a=x&b=y', 'limit'],
    ['/api/evaluations/compare?a=x&b=y', 'offset'],
    ['/api/dataset-versions/VID/rows', 'limit'],
    ['/api/dataset-versions/VID/rows', 'offset'],
    ['/api/flows/code-tool/runs', 'limit'],
    ['/api/deployments/ql/logs', 'limit'],
    ['/api/alerts/events', 'limit'],
  ];

  it('rejects out-of-range and non-integer values with 400 invalid_query naming the parameter', async () => {
    for (const [route, param] of routes) {
      for (const v of bad) {
        if (param === 'offset' && v === '0') continue; // offset 0 is fine
        const p = route.replace('VID', versionId);
        const res = await h.api(`${p}${p.includes('?') ? '&' : '?'}${param}=${encodeURIComponent(v)}`);
        const body = (await res.json()) as { error?: { code: string; message: string } };
        expect(res.status, `${p} ${param}=${v}: ${JSON.stringify(body)}`).toBe(400);
        expect(body.error?.code).toBe('invalid_query');
        expect(body.error?.message).toContain(param);
      }
    }
  });

  it('accepts valid values and the limit is honoured', async () => {
    expect((await h.api('/api/evaluations?limit=5')).status).toBe(200);
    const rows = await h.api(`/api/dataset-versions/${versionId}/rows?limit=2&offset=1`);
    expect(rows.status).toBe(200);
    const got = ((await rows.json()) as { rows: Array<{ data: Record<string, unknown> }> }).rows;
    expect(got.map((r) => r.data.q)).toEqual(['b', 'c']);
    expect((await h.api('/api/flows/code-tool/runs?limit=10')).status).toBe(200);
    expect((await h.api('/api/deployments/ql/logs?limit=10')).status).toBe(200);
  });
});
