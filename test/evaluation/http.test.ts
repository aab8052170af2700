import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { readSse, startHarness, type Harness } from '../http/harness';
import type {
  Comparison,
  DatasetInfo,
  DatasetVersionInfo,
  EvaluationInfo,
  RowResult,
} from '../../shared/api/evaluation';

let fake: FakeOpenAI;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  h = await startHarness({ openaiUrl: fake.url });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

const csv = (n: number) =>
  'q,answer\n' +
  Array.from({ length: n }, (_, i) => `question ${i},${i % 4 === 0 ? `Echo: question ${i}` : 'nope'}`).join('\n') +
  '\n';

async function upload(
  name: string,
  body: string,
  filename = 'd.csv',
): Promise<{
  status: number;
  json: {
    dataset: DatasetInfo;
    version: DatasetVersionInfo;
    reused: boolean;
    error?: { code: string; message: string };
  };
}> {
  const res = await h.api(`/api/datasets?name=${name}&filename=${filename}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/csv' },
  });
  return { status: res.status, json: (await res.json()) as never };
}

async function finished(id: string): Promise<EvaluationInfo> {
  const res = await h.api(`/api/evaluations/${id}/events`, { headers: { accept: 'text/event-stream' } });
  const frames = await readSse(res);
  expect(frames.at(-1)?.event).toBe('finished');
  return ((await (await h.api(`/api/evaluations/${id}`)).json()) as { evaluation: EvaluationInfo }).evaluation;
}

describe('datasets & evaluations API', () => {
  it('uploads (raw and multipart), previews, refuses non-CSV/JSONL', async () => {
    const up = await upload('qa-set', csv(8));
    expect(up.status).toBe(201);
    expect(up.json.version).toMatchObject({ version: 1, rowCount: 8, columns: ['q', 'answer'] });
    const rows = (await (await h.api(`/api/dataset-versions/${up.json.version.id}/rows?limit=3`)).json()) as {
      rows: Array<{ data: Record<string, string> }>;
    };
    expect(rows.rows.map((r) => r.data.q)).toEqual(['question 0', 'question 1', 'question 2']);

    const form = new FormData();
    form.append('name', 'multi');
    form.append('file', new Blob(['{"q":"a","answer":"b"}\n{oops\n'], { type: 'application/x-ndjson' }), 'm.jsonl');
    const mp = await h.api('/api/datasets', { method: 'POST', body: form });
    expect(mp.status).toBe(201);
    const mj = (await mp.json()) as { version: DatasetVersionInfo };
    expect(mj.version).toMatchObject({ rowCount: 1, badRowCount: 1, badRows: [{ line: 2 }] });

    const bad = await upload('pdf', '%PDF-1.4 binary', 'x.pdf');
    expect(bad.status).toBe(400);
    expect(bad.json.error?.code).toBe('unsupported_format');
  });

  it('runs an evaluation end to end: mapping errors, SSE progress, results, trace, export, compare, reviews, preferences', async () => {
    const { json } = await upload('e2e', csv(20));
    const dsId = json.dataset.id;
    const badMap = await h.api('/api/evaluations', {
      method: 'POST',
      json: {
        flowId: 'qa',
        datasetId: dsId,
        config: { mapping: { question: 'missing' }, expected: 'answer', metrics: ['exact_match'] },
      },
    });
    expect(badMap.status).toBe(400);
    const badBody = (await badMap.json()) as {
      error: { code: string; details: { problems: Array<{ path: string; message: string }> } };
    };
    expect(badBody.error.code).toBe('invalid_mapping');
    expect(badBody.error.details.problems[0]).toMatchObject({ path: 'mapping.question' });
    const badFlow = await h.api('/api/evaluations', {
      method: 'POST',
      json: {
        flow: { schemaVersion: 1, id: 'x', name: 'x', nodes: [{ id: 'n', type: 'nope', position: { x: 0, y: 0 } }] },
        datasetId: dsId,
        config: { metrics: ['exact_match'] },
      },
    });
    expect(badFlow.status).toBe(422);
    expect(((await badFlow.json()) as { error: { code: string } }).error.code).toBe('invalid_flow');
    expect(
      (
        await h.api('/api/evaluations', {
          method: 'POST',
          json: { flowId: 'no-such-flow', datasetId: dsId, config: { metrics: ['exact_match'] } },
        })
      ).status,
    ).toBe(404);
    expect(fake.calls).toHaveLength(0);

    const create = async () => {
      const res = await h.api('/api/evaluations', {
        method: 'POST',
        json: {
          flowId: 'qa',
          datasetId: dsId,
          config: {
            mapping: { question: 'q' },
            expected: 'answer',
            metrics: ['exact_match', 'rouge1', 'bleu', 'latency'],
            concurrency: 4,
          },
        },
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { evaluation: EvaluationInfo }).evaluation;
    };
    const a = await create();
    const doneA = await finished(a.id);
    expect(doneA).toMatchObject({ status: 'completed', done: 20, failed: 0 });
    expect(doneA.summary?.metrics.find((m) => m.name === 'exact_match')?.passRate).toBe(0.25);
    expect(doneA.summary?.metrics.find((m) => m.name === 'bleu')?.corpus).toBeGreaterThan(0);

    const page = (await (await h.api(`/api/evaluations/${a.id}/results?offset=5&limit=5`)).json()) as {
      rows: RowResult[];
    };
    expect(page.rows.map((r) => r.rowIdx)).toEqual([5, 6, 7, 8, 9]);
    const one = (await (await h.api(`/api/evaluations/${a.id}/results/4`)).json()) as {
      row: RowResult & { trace: { spans: unknown[] } };
    };
    expect(one.row.outputs).toEqual({ answer: 'Echo: question 4' });
    expect(one.row.trace.spans.length).toBeGreaterThan(0);

    const csvOut = await (await h.api(`/api/evaluations/${a.id}/export?format=csv`)).text();
    expect(csvOut.split('\n')[0]).toBe(
      'row,status,inputs,output,expected,exact_match,rouge1,bleu,latency,latency_ms,tokens,cost,error',
    );
    expect(csvOut.trim().split('\n')).toHaveLength(21);
    const jsonl = await (await h.api(`/api/evaluations/${a.id}/export?format=jsonl`)).text();
    expect(JSON.parse(jsonl.split('\n')[0]).rowIdx).toBe(0);

    fake.setResponder((req) => `Better: ${String(req.messages.at(-1)?.content)}`);
    const b = await create();
    await finished(b.id);
    const cmp = (await (
      await h.api(`/api/evaluations/compare?a=${a.id}&b=${b.id}&rows=1&filter=a_better&metric=exact_match`)
    ).json()) as Comparison;
    const em = cmp.metrics.find((m) => m.name === 'exact_match');
    expect(em).toMatchObject({ a: 0.25, b: 0, delta: -0.25, pairs: 20 });
    expect(cmp.rows?.map((r) => r.rowIdx)).toEqual([0, 4, 8, 12, 16]);

    const rv = await h.api(`/api/evaluations/${a.id}/reviews`, {
      method: 'POST',
      json: { rowIdx: 0, kind: 'pairwise', value: 0, otherEvaluationId: b.id, comment: 'b reads better' },
    });
    expect(rv.status).toBe(201);
    await h.api(`/api/evaluations/${a.id}/reviews`, { method: 'POST', json: { rowIdx: 1, kind: 'rating', value: 4 } });
    expect(
      (
        await h.api(`/api/evaluations/${a.id}/reviews`, {
          method: 'POST',
          json: { rowIdx: 1, kind: 'rating', value: 9 },
        })
      ).status,
    ).toBe(400);
    const prefs = (await (await h.api(`/api/evaluations/preferences.jsonl?a=${a.id}&b=${b.id}`)).text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(prefs).toEqual([
      {
        prompt: 'question 0',
        chosen: 'Better: question 0',
        rejected: 'Echo: question 0',
        row: 0,
        comment: 'b reads better',
      },
    ]);
    const rated = (await (await h.api(`/api/evaluations/${a.id}/results?limit=2`)).json()) as { rows: RowResult[] };
    expect(rated.rows[1].metrics.human_rating).toMatchObject({ value: 4 });

    expect((await h.api(`/api/evaluations/${b.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await h.api(`/api/evaluations/${b.id}`)).status).toBe(404);
    // Deleting the dataset keeps the evaluation that used it (test/http/data-management.test.ts).
    const del = await h.api(`/api/datasets/${dsId}`, { method: 'DELETE' });
    expect(await del.json()).toEqual({ deleted: true, evaluationsKept: 1 });
    expect((await h.api(`/api/evaluations/${a.id}`)).status).toBe(200);
  });
  it('progress of an evaluation run by another process sharing the database comes from the database', async () => {
    const other = await startHarness({ openaiUrl: fake.url, storage: h.server.storage });
    try {
      fake.setLatency(10);
      const { json } = await upload('shared', csv(40));
      const res = await h.api('/api/evaluations', {
        method: 'POST',
        json: {
          flowId: 'qa',
          datasetId: json.dataset.id,
          config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 2 },
        },
      });
      const { evaluation } = (await res.json()) as { evaluation: EvaluationInfo };
      const sse = await other.api(`/api/evaluations/${evaluation.id}/events`, {
        headers: { accept: 'text/event-stream' },
      });
      const frames = await readSse(sse);
      expect(frames.at(-1)?.event).toBe('finished');
      expect(frames.at(-1)?.data).toMatchObject({ status: 'completed' });
      expect(frames.filter((f) => f.event === 'progress').length).toBeGreaterThan(0);
    } finally {
      fake.setLatency(0);
      await other.close();
    }
  });
});
