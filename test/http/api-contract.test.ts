/**
 * Request bodies are checked against the zod schemas in shared/api/ (runs, knowledge,
 * deployments): a body that does not fit is `400 invalid_body` naming each problem by path,
 * nothing runs or changes, and Japanese text goes through untouched.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startHarness, type Harness } from './harness';

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

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: Array<{ path: string; message: string }> } };
}

/** Send `body` and expect `400 invalid_body` whose issues are at exactly `paths`; returns the error. */
async function refused(method: string, p: string, body: unknown, paths: string[]): Promise<ErrorBody['error']> {
  const res = await h.api(p, { method, json: body });
  const err = ((await res.json()) as ErrorBody).error;
  expect(res.status, `${method} ${p} ${JSON.stringify(body)}`).toBe(400);
  expect(err.code).toBe('invalid_body');
  expect((err.details?.issues ?? []).map((i) => i.path).sort()).toEqual([...paths].sort());
  for (const path of paths) expect(err.message).toContain(`${path}: `);
  return err;
}

describe('runs: request bodies', () => {
  it('refuses a bad run body by path, runs nothing, and runs Japanese inputs', async () => {
    await refused('POST', '/api/flows/qa/runs', { inputs: 'こんにちは' }, ['inputs']);
    await refused('POST', '/api/flows/qa/runs', { inputs: { question: '日本語' }, mode: '非同期' }, ['mode']);
    // a typo is not silently a run without inputs
    const typo = await refused('POST', '/api/flows/qa/runs', { input: { question: '質問' } }, ['(body)']);
    expect(typo.message).toContain('"input"');
    await refused('POST', '/api/flows/qa/runs', ['質問'], ['(body)']);
    await refused('POST', '/api/flows/qa/nodes/answer/run', { inputs: ['質問'] }, ['inputs']);
    expect(fake.calls).toHaveLength(0);
    expect(((await (await h.api('/api/flows/qa/runs')).json()) as { runs: unknown[] }).runs).toHaveLength(0);

    const ok = await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'ブレイドとは？' } } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { outputs: unknown }).outputs).toEqual({ answer: 'Echo: ブレイドとは？' });
    // mode "sync" is the default, spelled out
    const sync = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      json: { inputs: { question: '同期' }, mode: 'sync' },
    });
    expect(sync.status).toBe(200);
  });
});

describe('knowledge: request bodies', () => {
  it('refuses bad create, URL-ingest and query bodies by path', async () => {
    const missing = await refused('POST', '/api/knowledge-bases', {}, ['name']);
    expect(missing.message).toBe('name: required');
    await refused('POST', '/api/knowledge-bases', { name: 'contract', chunkSize: '大きい' }, ['chunkSize']);
    await refused('POST', '/api/knowledge-bases', { name: 'contract', chunkOverlap: 1.5 }, ['chunkOverlap']);
    await refused('POST', '/api/knowledge-bases', { name: 'contract', 埋め込み: 'openai:x' }, ['(body)']);
    expect((await h.api('/api/knowledge-bases/contract')).status).toBe(404);

    const created = await h.api('/api/knowledge-bases', {
      method: 'POST',
      json: { name: 'contract', chunkSize: 300, chunkOverlap: 30 },
    });
    expect(created.status).toBe(201);

    const kb = '/api/knowledge-bases/contract';
    await refused('POST', `${kb}/query`, { query: '   ', mode: '全文' }, ['query', 'mode']);
    await refused('POST', `${kb}/query`, { query: '返金', topK: 0 }, ['topK']);
    await refused('POST', `${kb}/query`, { query: '返金', topK: 101, filter: 'source' }, ['topK', 'filter']);
    await refused('POST', `${kb}/urls`, { urls: 'https://例え.jp/' }, ['urls']);
    await refused('POST', `${kb}/urls`, {}, ['urls']);
    expect(((await (await h.api(`${kb}/jobs`)).json()) as { jobs: unknown[] }).jobs).toHaveLength(0);

    const q = await h.api(`${kb}/query`, { method: 'POST', json: { query: '返金の期限', topK: 3 } });
    expect(q.status).toBe(200);
    expect((await q.json()) as unknown).toMatchObject({ mode: 'bm25', requestedMode: 'bm25', topK: 3, results: [] });
  });
});

describe('deployments: request bodies', () => {
  it('refuses bad bodies of every deployment route by path; good Japanese text is stored', async () => {
    const dep = await h.api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'contract-qa' } });
    expect(dep.status).toBe(201);
    const base = '/api/deployments/contract-qa';

    await refused('POST', '/api/flows/qa/deployments', { slug: 'デプロイ' }, ['slug']);
    await refused('POST', '/api/flows/qa/deployments', { slug: 'contract-qa', settings: { timeoutMs: 5 } }, [
      'settings.timeoutMs',
    ]);
    await refused('POST', '/api/flows/qa/deployments', { gate: { thresholds: [] } }, ['gate.evaluationId']);

    const rate = await refused('PATCH', base, { settings: { rateLimit: { requestsPerMinute: '毎分' } } }, [
      'settings.rateLimit.requestsPerMinute',
      'settings.rateLimit.burst',
    ]);
    expect(rate.details?.issues?.find((i) => i.path === 'settings.rateLimit.burst')?.message).toBe('required');
    await refused('PATCH', base, { settings: { 色: '青' } }, ['settings']);
    await refused('PATCH', base, { settings: { corsOrigins: ['https://例え.jp/パス'] } }, ['settings.corsOrigins[0]']);
    await refused('PATCH', base, {}, ['settings']);
    await refused('POST', `${base}/rollback`, { version: '一' }, ['version']);
    await refused('POST', `${base}/rollback`, { version: 0 }, ['version']);
    await refused('PATCH', `${base}/versions/1`, { note: 42 }, ['note']);
    await refused('PATCH', `${base}/versions/1`, {}, ['note']);
    await refused('POST', `${base}/keys`, { label: 123 }, ['label']);
    await refused('POST', `${base}/logs/no-such-call/dataset`, { expectedColumn: '期待値', datasetName: '評価' }, [
      'expected',
      'expectedColumn',
    ]);
    await refused('POST', '/api/flows/qa/chat', { message: 'こんにちは', sessionId: 'セッション' }, ['sessionId']);
    await refused('POST', '/api/flows/qa/chat', {}, ['message']);
    await refused('POST', '/api/alerts/rules', { slug: 'contract-qa', kind: '遅延', threshold: -1 }, [
      'kind',
      'threshold',
    ]);
    await refused(
      'POST',
      '/api/alerts/rules',
      { slug: 'contract-qa', kind: 'error_rate', threshold: 0.5, windowMs: 10, webhookUrl: 'ftp://例え.jp/' },
      ['windowMs', 'webhookUrl'],
    );
    // the same webhook URL check as a deployment's: no credentials in it
    await refused(
      'POST',
      '/api/alerts/rules',
      { slug: 'contract-qa', kind: 'error_rate', threshold: 0.5, webhookUrl: 'https://user:pw@例え.jp/通知' },
      ['webhookUrl'],
    );
    expect(((await (await h.api('/api/alerts/rules')).json()) as { items: unknown[] }).items).toHaveLength(0);
    expect(fake.calls).toHaveLength(0);

    // nothing changed
    const detail = (await (await h.api(base)).json()) as {
      latestVersion: number;
      settings: { timeoutMs: number; rateLimit: { requestsPerMinute: number } };
      keys: Array<{ id: string; label: string }>;
    };
    expect(detail.latestVersion).toBe(1);
    expect(detail.settings.rateLimit.requestsPerMinute).toBe(600);
    expect(detail.keys).toHaveLength(1);

    // well-formed bodies, in Japanese, go through as sent
    const note = await h.api(`${base}/versions/1`, { method: 'PATCH', json: { note: '最初の版：挨拶を修正' } });
    expect(note.status).toBe(200);
    expect(((await note.json()) as { versions: Array<{ note: string }> }).versions[0]?.note).toBe(
      '最初の版：挨拶を修正',
    );
    const key = await h.api(`${base}/keys`, { method: 'POST', json: { label: '本番キー' } });
    expect(key.status).toBe(201);
    const created = (await key.json()) as { key: { id: string; label: string }; apiKey: string };
    expect(created.key.label).toBe('本番キー');
    await refused('PATCH', `${base}/keys/${created.key.id}`, { label: '   ' }, ['label']);
    const relabel = await h.api(`${base}/keys/${created.key.id}`, { method: 'PATCH', json: { label: ' 検証用 ' } });
    expect(relabel.status).toBe(200);
    const keys = ((await (await h.api(`${base}/keys`)).json()) as { items: Array<{ id: string; label: string }> })
      .items;
    expect(keys.find((k) => k.id === created.key.id)?.label).toBe('検証用');
    const rule = await h.api('/api/alerts/rules', {
      method: 'POST',
      json: { slug: 'contract-qa', kind: 'p95_latency_ms', threshold: 2_000, webhookUrl: 'https://例え.jp/通知' },
    });
    expect(rule.status).toBe(201);
    const ruleId = ((await rule.json()) as { id: string }).id;
    await refused('PATCH', `/api/alerts/rules/${ruleId}`, { enabled: 'いいえ' }, ['enabled']);
    expect((await h.api(`/api/alerts/rules/${ruleId}`, { method: 'PATCH', json: { enabled: false } })).status).toBe(
      200,
    );
    const patched = await h.api(base, {
      method: 'PATCH',
      json: { settings: { corsOrigins: ['https://Example.JP'], rateLimit: { requestsPerMinute: 60, burst: 6 } } },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { settings: unknown }).settings).toMatchObject({
      corsOrigins: ['https://example.jp'],
      rateLimit: { requestsPerMinute: 60, burst: 6 },
    });
  });
});
