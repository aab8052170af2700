/**
 * Datasets and evaluations can be renamed and deleted (a deleted dataset leaves its
 * evaluations' results in place), upload names drop the file extension, and the
 * monitoring stats keep client errors (4xx) apart from server errors (5xx).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DeployResult, DeploymentStats } from '../../shared/api/deployment';
import type { DatasetInfo, DatasetVersionInfo, EvaluationInfo, RowResult } from '../../shared/api/evaluation';
import { promptFlow, startDeployServer, type DeployServer } from '../../server/deployment/testing';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { readSse } from './harness';

let fake: FakeOpenAI;
let s: DeployServer;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({ openaiUrl: fake.url, flows: [promptFlow('echo', 'Reply')] });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});
beforeEach(() => {
  fake.reset();
  fake.setLatency(0);
});

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: Array<{ path: string; message: string }> } };
}

async function upload(filename: string, body: string): Promise<{ dataset: DatasetInfo; version: DatasetVersionInfo }> {
  const form = new FormData();
  form.append('file', new Blob([body], { type: 'text/csv' }), filename);
  const res = await s.api('/api/datasets', { method: 'POST', body: form });
  expect(res.status).toBe(201);
  return (await res.json()) as { dataset: DatasetInfo; version: DatasetVersionInfo };
}

const csv = (n: number) =>
  'question,answer\n' + Array.from({ length: n }, (_, i) => `質問 ${i},answer ${i}`).join('\n') + '\n';

async function evaluate(datasetId: string, concurrency = 4): Promise<EvaluationInfo> {
  const res = await s.api('/api/evaluations', {
    method: 'POST',
    json: {
      flowId: 'echo',
      datasetId,
      config: { mapping: { question: 'question' }, expected: 'answer', metrics: ['exact_match'], concurrency },
    },
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { evaluation: EvaluationInfo }).evaluation;
}

async function finished(id: string): Promise<void> {
  const frames = await readSse(await s.api(`/api/evaluations/${id}/events`));
  expect(frames.at(-1)?.event).toBe('finished');
}

describe('datasets', () => {
  it('takes its name from the file name without the extension', async () => {
    const up = await upload('support-questions.csv', csv(2));
    expect(up.dataset.name).toBe('support-questions');
    const ja = await upload('評価データ.v2.jsonl', '{"question":"こんにちは","answer":"x"}\n');
    expect(ja.dataset.name).toBe('評価データ.v2');
  });

  it('is renamed with PATCH: trimmed, Japanese kept, empty and taken names refused at the field', async () => {
    const { dataset } = await upload('rename-me.csv', csv(2));
    const ok = await s.api(`/api/datasets/${dataset.id}`, { method: 'PATCH', json: { name: '  サポート質問集  ' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { dataset: DatasetInfo }).dataset).toMatchObject({
      id: dataset.id,
      name: 'サポート質問集',
      latestVersion: { version: 1, rowCount: 2 },
    });
    const list = (await (await s.api('/api/datasets')).json()) as { datasets: DatasetInfo[] };
    expect(list.datasets.find((d) => d.id === dataset.id)?.name).toBe('サポート質問集');

    const empty = await s.api(`/api/datasets/${dataset.id}`, { method: 'PATCH', json: { name: '   ' } });
    expect(empty.status).toBe(400);
    const eb = (await empty.json()) as ErrorBody;
    expect(eb.error.code).toBe('invalid_body');
    expect(eb.error.details?.issues).toEqual([{ path: 'name', message: 'must not be empty' }]);
    expect(eb.error.message).toBe('name: must not be empty');

    const wrongType = await s.api(`/api/datasets/${dataset.id}`, { method: 'PATCH', json: { name: 5 } });
    expect(((await wrongType.json()) as ErrorBody).error.details?.issues?.[0]?.path).toBe('name');

    const other = await upload('other.csv', csv(1));
    const taken = await s.api(`/api/datasets/${other.dataset.id}`, {
      method: 'PATCH',
      json: { name: 'サポート質問集' },
    });
    expect(taken.status).toBe(409);
    expect(((await taken.json()) as ErrorBody).error).toMatchObject({
      code: 'name_taken',
      details: { issues: [{ path: 'name' }] },
    });

    const missing = await s.api('/api/datasets/no-such-id', { method: 'PATCH', json: { name: 'x' } });
    expect(missing.status).toBe(404);
  });

  it('is deleted; the evaluations that used it keep their results; a running one refuses the delete', async () => {
    fake.setResponder(() => 'answer 0');
    const { dataset } = await upload('to-delete.csv', csv(3));
    const done = await evaluate(dataset.id);
    await finished(done.id);

    // A running evaluation on the dataset refuses the delete, naming it.
    fake.setLatency(400);
    const running = await evaluate(dataset.id, 1);
    const refused = await s.api(`/api/datasets/${dataset.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const rb = (await refused.json()) as ErrorBody & { error: { details: { evaluations: string[] } } };
    expect(rb.error.code).toBe('in_use');
    expect(rb.error.details.evaluations).toEqual([running.id]);
    expect((await s.api(`/api/evaluations/${running.id}/cancel`, { method: 'POST' })).status).toBe(200);
    fake.setLatency(0);

    const del = await s.api(`/api/datasets/${dataset.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ deleted: true, evaluationsKept: 2 });
    expect((await s.api(`/api/datasets/${dataset.id}`)).status).toBe(404);
    expect((await s.api(`/api/datasets/${dataset.id}`, { method: 'DELETE' })).status).toBe(404);

    // History stays: the finished evaluation and its rows (with their inputs) are still there.
    const kept = (await (await s.api(`/api/evaluations/${done.id}`)).json()) as { evaluation: EvaluationInfo };
    expect(kept.evaluation).toMatchObject({ status: 'completed', total: 3, done: 3 });
    const rows = (await (await s.api(`/api/evaluations/${done.id}/results`)).json()) as { rows: RowResult[] };
    expect(rows.rows.map((r) => r.inputs.question)).toEqual(['質問 0', '質問 1', '質問 2']);
    expect(rows.rows[0]?.metrics.exact_match?.value).toBe(1);

    // The cancelled one cannot be resumed: its remaining rows are gone.
    const resume = await s.api(`/api/evaluations/${running.id}/resume`, { method: 'POST' });
    expect(resume.status).toBe(409);
    expect(((await resume.json()) as ErrorBody).error.code).toBe('dataset_deleted');
  });
});

describe('evaluations', () => {
  it('are renamed and deleted', async () => {
    fake.setResponder(() => 'x');
    const { dataset } = await upload('evals.csv', csv(2));
    const e = await evaluate(dataset.id);
    await finished(e.id);
    const ok = await s.api(`/api/evaluations/${e.id}`, {
      method: 'PATCH',
      json: { name: 'ベースライン (gpt-4o-mini)' },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { evaluation: EvaluationInfo }).evaluation.name).toBe('ベースライン (gpt-4o-mini)');
    const listed = (await (await s.api(`/api/evaluations?datasetId=${dataset.id}`)).json()) as {
      evaluations: EvaluationInfo[];
    };
    expect(listed.evaluations.map((x) => x.name)).toEqual(['ベースライン (gpt-4o-mini)']);

    const bad = await s.api(`/api/evaluations/${e.id}`, { method: 'PATCH', json: { name: '', extra: 1 } });
    expect(bad.status).toBe(400);
    const paths = ((await bad.json()) as ErrorBody).error.details?.issues?.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name']));
    expect((await s.api('/api/evaluations/nope', { method: 'PATCH', json: { name: 'x' } })).status).toBe(404);

    expect((await s.api(`/api/evaluations/${e.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await s.api(`/api/evaluations/${e.id}`)).status).toBe(404);
    expect((await s.api(`/api/evaluations/${e.id}/results`)).status).toBe(404);
  });

  it('refuses a create body of the wrong shape with every problem by path', async () => {
    const res = await s.api('/api/evaluations', { method: 'POST', json: { config: 'x' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe('invalid_body');
    expect(body.error.details?.issues?.map((i) => i.path).sort()).toEqual(['config', 'datasetId']);
    const noFlow = await s.api('/api/evaluations', { method: 'POST', json: { datasetId: 'd', config: {} } });
    expect(((await noFlow.json()) as ErrorBody).error).toMatchObject({
      code: 'invalid_body',
      message: 'flowId: is required (or send the flow itself as flow)',
    });
  });
});

describe('monitoring', () => {
  it('keeps client errors (4xx) apart from server errors (5xx) in the stats', async () => {
    fake.setResponder(() => 'hello');
    const dep = await s.api('/api/flows/echo/deployments', { method: 'POST', json: {} });
    expect(dep.status).toBe(201);
    const { apiKey, slug } = (await dep.json()) as DeployResult;
    const call = (json: unknown, key: string | undefined = apiKey ?? undefined) =>
      s.call(`/v1/endpoints/${slug}`, key, json);

    for (let i = 0; i < 4; i++) expect((await call({ inputs: { question: `q${i}` } })).status).toBe(200);
    expect((await call({ inputs: {} })).status).toBe(400);
    expect((await call({ inputs: { question: 5 } })).status).toBe(400);
    fake.enqueue({ status: 400 });
    expect((await call({ inputs: { question: 'provider refuses' } })).status).toBe(500);

    const stats = (await (
      await s.api(`/api/deployments/${slug}/stats?windowMs=600000&bucketMs=60000`)
    ).json()) as DeploymentStats;
    expect(stats.totals).toMatchObject({ requests: 7, errors: 1, clientErrors: 2 });
    expect(stats.totals.errorRate).toBeCloseTo(1 / 7);
    expect(stats.totals.clientErrorRate).toBeCloseTo(2 / 7);
    expect(stats.buckets.reduce((n, b) => n + b.clientErrors, 0)).toBe(2);
    expect(stats.buckets.reduce((n, b) => n + b.errors, 0)).toBe(1);

    const rule = await s.api('/api/alerts/rules', {
      method: 'POST',
      json: { slug, kind: 'client_error_rate', threshold: 0.2, windowMs: 600_000, minSamples: 1, webhookUrl: null },
    });
    expect(rule.status).toBe(201);
  });
});
