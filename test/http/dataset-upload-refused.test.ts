/**
 * A refused dataset upload creates nothing: no dataset, no version, no rows (a rejected
 * "no valid rows" upload used to leave an empty dataset behind).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

describe('refused dataset uploads create nothing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ examples: false });
  });
  afterAll(async () => {
    await h.close();
  });

  const names = async () =>
    ((await (await h.api('/api/datasets')).json()) as { datasets: Array<{ name: string }> }).datasets.map(
      (d) => d.name,
    );

  it.each([
    ['no valid JSONL rows', 'application/x-ndjson', '{壊れた\n[1]\n', 'invalid_rows'],
    ['a CSV with a header and no rows', 'text/csv', '質問,期待\n', 'empty_dataset'],
    ['an empty JSON array', 'application/json', '[]', 'empty_dataset'],
    ['a JSON array with a non-object', 'application/json', '[{"q":"a"},3]', 'invalid_rows'],
  ])('%s → 400 and no dataset', async (_what, ct, body, code) => {
    const name = `refused-${code}-${ct}`;
    const res = await h.api(`/api/datasets?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'content-type': ct },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    expect(await names()).not.toContain(name);
  });

  it('a refused new version leaves the existing dataset and its latest version as they were', async () => {
    const ok = await h.api('/api/datasets?name=keep', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'q\n東京\n',
    });
    expect(ok.status).toBe(201);
    const { dataset, version } = (await ok.json()) as { dataset: { id: string }; version: { id: string } };
    const bad = await h.api(`/api/datasets/${dataset.id}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: 'not json\n',
    });
    expect(bad.status).toBe(400);
    const after = (await (await h.api(`/api/datasets/${dataset.id}`)).json()) as {
      dataset: { latestVersion: { id: string } };
      versions: unknown[];
    };
    expect(after.dataset.latestVersion.id).toBe(version.id);
    expect(after.versions).toHaveLength(1);
    expect(await names()).toContain('keep');
  });
});
