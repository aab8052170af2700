/**
 * Dataset uploads by content type: raw CSV / JSONL bodies, multipart, a JSON array of row
 * objects, and a clear 415 for anything else (a JSON body used to be eaten by the app-wide
 * JSON parser and reported as "no rows").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

interface Up {
  dataset?: { id: string };
  version?: { id: string; rowCount: number; columns: string[]; format: string };
  reused?: boolean;
  error?: { code: string; message: string };
}

describe('dataset upload content types', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ examples: false });
  });
  afterAll(async () => {
    await h.close();
  });

  const post = async (path: string, contentType: string | undefined, body: BodyInit) => {
    const res = await h.api(path, {
      method: 'POST',
      body,
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
    });
    return { status: res.status, json: (await res.json()) as Up };
  };
  const rowsOf = async (versionId: string) =>
    (
      (await (await h.api(`/api/dataset-versions/${versionId}/rows`)).json()) as {
        rows: Array<{ data: Record<string, unknown> }>;
      }
    ).rows.map((r) => r.data);

  const jsonl = '{"q":"a","n":1}\n{"q":"b","n":2}\n';
  const csv = 'q,n\na,1\nb,2\n';

  it.each([
    ['application/x-ndjson', jsonl],
    ['application/jsonl', jsonl],
    ['application/x-ndjson; charset=utf-8', jsonl],
    ['text/csv', csv],
    ['text/plain', jsonl],
    ['text/plain', csv],
  ])('raw body as %s', async (ct, body) => {
    const up = await post(`/api/datasets?name=${encodeURIComponent(ct)}`, ct, body);
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json.version?.rowCount).toBe(2);
    expect((await rowsOf(up.json.version!.id)).map((r) => String(r.q))).toEqual(['a', 'b']);
  });

  it('multipart/form-data with a file part', async () => {
    const form = new FormData();
    form.append('name', 'mp');
    form.append('file', new Blob([csv], { type: 'text/csv' }), 'mp.csv');
    const up = await post('/api/datasets', undefined, form);
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json.version?.rowCount).toBe(2);
  });

  it('application/json: an array of row objects becomes a dataset (and a new version)', async () => {
    const rows = [
      { q: 'a', n: 1, tags: ['x'] },
      { q: 'b', n: 2, tags: [] },
    ];
    const up = await post('/api/datasets?name=json', 'application/json', JSON.stringify(rows));
    expect(up.status, JSON.stringify(up.json)).toBe(201);
    expect(up.json.version?.rowCount).toBe(2);
    expect(up.json.version?.columns).toEqual(['q', 'n', 'tags']);
    expect(await rowsOf(up.json.version!.id)).toEqual(rows);
    const again = await post(`/api/datasets/${up.json.dataset!.id}/versions`, 'application/json', JSON.stringify(rows));
    expect(again.status).toBe(200);
    expect(again.json.reused).toBe(true);
    const more = await post(
      `/api/datasets/${up.json.dataset!.id}/versions`,
      'application/json',
      JSON.stringify([...rows, { q: 'c', n: 3, tags: [] }]),
    );
    expect(more.status).toBe(201);
    expect(more.json.version?.rowCount).toBe(3);
  });

  it('application/json that is not an array of objects is a 400 that says what to send', async () => {
    const obj = await post('/api/datasets?name=j1', 'application/json', JSON.stringify({ q: 'a' }));
    expect(obj.status).toBe(400);
    expect(obj.json.error?.code).toBe('invalid_body');
    expect(obj.json.error?.message).toMatch(/array of row objects/);
    expect(obj.json.error?.message).toMatch(/application\/x-ndjson/);
    const prim = await post('/api/datasets?name=j2', 'application/json', JSON.stringify([{ q: 'a' }, 3]));
    expect(prim.status).toBe(400);
    expect(prim.json.error?.code).toBe('invalid_rows');
    const empty = await post('/api/datasets?name=j3', 'application/json', '[]');
    expect(empty.status).toBe(400);
    expect(empty.json.error?.code).toBe('empty_dataset');
    // nothing was created by the refused uploads
    const list = (await (await h.api('/api/datasets')).json()) as { datasets: Array<{ name: string }> };
    expect(list.datasets.map((d) => d.name)).not.toContain('j1');
  });

  it('other content types are a 415 naming the accepted ones', async () => {
    for (const ct of ['application/xml', 'image/png', 'application/x-www-form-urlencoded']) {
      const up = await post('/api/datasets?name=x', ct, csv);
      expect(up.status, ct).toBe(415);
      expect(up.json.error?.code).toBe('unsupported_media_type');
      expect(up.json.error?.message).toMatch(/text\/csv/);
      expect(up.json.error?.message).toMatch(/multipart\/form-data/);
    }
  });
});
