/**
 * Knowledge-base metadata filters become LanceDB (DataFusion SQL) predicates: quotes,
 * comments and boolean tricks in filter keys and values stay inside string literals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../http/harness';

describe('knowledge filter injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'inj' } })).status).toBe(201);
    const form = new FormData();
    form.append('files', new Blob(['Braid alpha document about flows.'], { type: 'text/plain' }), 'a.txt');
    form.append('files', new Blob(['Braid beta document about flows.'], { type: 'text/plain' }), 'b.txt');
    const up = await h.api('/api/knowledge-bases/inj/documents', { method: 'POST', body: form });
    expect(up.status).toBe(202);
    const job = (await up.json()) as { id: string };
    await waitFor(async () => {
      const j = (await (await h.api(`/api/knowledge-bases/inj/jobs/${job.id}`)).json()) as { status: string };
      return j.status === 'running' || j.status === 'queued' ? undefined : j;
    }, 15_000);
  });
  afterAll(async () => {
    await h.close();
  });

  const query = async (filter: unknown) => {
    const res = await h.api('/api/knowledge-bases/inj/query', {
      method: 'POST',
      json: { query: 'Braid flows document', mode: 'bm25', topK: 10, filter },
    });
    return { status: res.status, body: (await res.json()) as { results?: Array<{ source?: string; text?: string }> } };
  };

  it('an honest filter narrows the results (the check below is not vacuous)', async () => {
    const all = await query(undefined);
    expect(all.body.results?.length).toBe(2);
    const a = await query({ source: 'a.txt' });
    expect(a.status).toBe(200);
    expect(a.body.results?.length).toBe(1);
  });

  it('quotes and SQL in filter values and keys match nothing and break nothing', async () => {
    for (const filter of [
      { source: "a.txt' OR '1'='1" },
      { source: "x') OR true OR ('" },
      { source: "x' OR 1=1 --" },
      { docId: "' OR doc_id IS NOT NULL OR '" },
      { "lang') OR true OR ('": 'x' },
      { lang: "en')) OR true --" },
      { source: ['nope', "' OR 1=1; DROP TABLE inj; --"] },
      { source: 'a.txt\\' },
    ]) {
      const r = await query(filter);
      expect(r.status, JSON.stringify(filter)).toBeLessThan(500);
      if (r.status === 200) expect(r.body.results?.length ?? 0, JSON.stringify(filter)).toBe(0);
    }
    const after = await query(undefined);
    expect(after.body.results?.length).toBe(2);
  });
});
