import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../app';
import { loadConfig } from '../config';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { buildPdf } from './fixtures.test-support';
import type { IngestJob } from './repo';

let tmp: string;
let server: RunningServer;
let fake: FakeOpenAI;

async function api(p: string, init: RequestInit = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${p}`, {
    ...init,
    headers: {
      ...(init.body && typeof init.body === 'string' ? { 'content-type': 'application/json' } : {}),
      ...(init.headers ?? {}),
    },
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function waitJob(kb: string, id: string): Promise<IngestJob> {
  for (let i = 0; i < 200; i++) {
    const { body } = await api(`/api/knowledge-bases/${kb}/jobs/${id}`);
    const job = body as unknown as IngestJob;
    if (!['queued', 'running'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('job did not finish');
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'braid-kb-http-'));
  fake = await startFakeOpenAI({
    responder: (req) =>
      `Answer from ${JSON.stringify(req.messages[0]?.content ?? '').includes('source: deployment.md') ? 'deployment.md' : 'nothing'}`,
  });
  await fs.mkdir(path.join(tmp, 'flows'));
  await fs.copyFile(path.resolve('flows/rag.flow.json'), path.join(tmp, 'flows', 'rag.flow.json'));
  const config = loadConfig({
    PORT: '0',
    BRAID_FLOWS_DIR: path.join(tmp, 'flows'),
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    BRAID_LOG_LEVEL: 'silent',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-test-0123456789',
  });
  server = await startServer(config);
});

afterAll(async () => {
  await server?.close();
  await fake?.close();
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('knowledge HTTP API', () => {
  it('seeds braid-docs on first start and the RAG flow answers from it with sources', async () => {
    let kbs: Array<{ name: string; documents: number }> = [];
    for (let i = 0; i < 100 && (kbs.find((k) => k.name === 'braid-docs')?.documents ?? 0) < 5; i++) {
      kbs = ((await api('/api/knowledge-bases')).body.knowledgeBases ?? []) as typeof kbs;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(kbs.find((k) => k.name === 'braid-docs')?.documents).toBe(5);
    const run = await api('/api/flows/rag/runs', {
      method: 'POST',
      body: JSON.stringify({ inputs: { question: 'Where is the API key of a deployed endpoint shown?' } }),
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const outputs = run.body.outputs as {
      answer: string;
      sources: Array<{ text: string; score: number; metadata: { source: string } }>;
    };
    expect(outputs.sources[0].metadata.source).toBe('deployment.md');
    expect(outputs.answer).toBe('Answer from deployment.md');
    const spans = (
      run.body.trace as { spans: Array<{ nodeId: string; meta?: { chunks?: Array<{ source: string }> } }> }
    ).spans;
    expect(spans.find((s) => s.nodeId === 'retrieve')?.meta?.chunks?.[0].source).toBe('deployment.md');
  });

  it('create, upload with per-file errors, list documents, chunks, query, delete', async () => {
    expect(
      (await api('/api/knowledge-bases', { method: 'POST', body: JSON.stringify({ name: 'Bad Name' }) })).status,
    ).toBe(400);
    const created = await api('/api/knowledge-bases', {
      method: 'POST',
      body: JSON.stringify({ name: 'docs', chunkSize: 300, chunkOverlap: 30 }),
    });
    expect(created.status).toBe(201);
    expect((await api('/api/knowledge-bases', { method: 'POST', body: JSON.stringify({ name: 'docs' }) })).status).toBe(
      409,
    );

    const form = new FormData();
    form.append('files', new Blob(['# Pets\nCats sleep sixteen hours a day.']), 'pets.md');
    form.append(
      'files',
      new Blob([new Uint8Array(buildPdf(['Page one: volcanoes erupt.', 'Page two: glaciers melt.']))]),
      'earth.pdf',
    );
    form.append('files', new Blob(['']), 'empty.txt');
    form.append('files', new Blob(['x']), 'virus.exe');
    const up = await api('/api/knowledge-bases/docs/documents', { method: 'POST', body: form });
    expect(up.status).toBe(202);
    const job = await waitJob('docs', String(up.body.id));
    expect(job.items.map((i) => [i.name, i.status, i.error?.code ?? null])).toEqual([
      ['pets.md', 'done', null],
      ['earth.pdf', 'done', null],
      ['empty.txt', 'failed', 'empty_file'],
      ['virus.exe', 'failed', 'unsupported_type'],
    ]);
    expect(job.progress).toBe(1);

    const docs = (await api('/api/knowledge-bases/docs/documents')).body.documents as Array<{
      id: string;
      source: string;
      chunks: number;
    }>;
    expect(docs.map((d) => d.source)).toEqual(['earth.pdf', 'pets.md']);
    const earth = docs[0];
    const chunks = (await api(`/api/knowledge-bases/docs/documents/${earth.id}/chunks`)).body.chunks as Array<{
      text: string;
      metadata: { page: number };
    }>;
    expect(chunks.map((c) => c.metadata.page)).toEqual([1, 2]);

    const q = await api('/api/knowledge-bases/docs/query', {
      method: 'POST',
      body: JSON.stringify({ query: 'glaciers', mode: 'bm25', topK: 3 }),
    });
    expect(q.status).toBe(200);
    const results = q.body.results as Array<{
      text: string;
      score: number;
      metadata: { source: string; page: number };
    }>;
    expect(results[0]).toMatchObject({ text: 'Page two: glaciers melt.', metadata: { source: 'earth.pdf', page: 2 } });
    expect(results[0].score).toBeGreaterThan(0);
    expect(
      (
        await api('/api/knowledge-bases/docs/query', {
          method: 'POST',
          body: JSON.stringify({ query: 'glaciers', mode: 'vector' }),
        })
      ).status,
    ).toBe(400);
    expect(
      (await api('/api/knowledge-bases/nope/query', { method: 'POST', body: JSON.stringify({ query: 'x' }) })).status,
    ).toBe(404);

    expect((await api(`/api/knowledge-bases/docs/documents/${earth.id}`, { method: 'DELETE' })).status).toBe(204);
    const after = await api('/api/knowledge-bases/docs/query', {
      method: 'POST',
      body: JSON.stringify({ query: 'glaciers volcanoes', mode: 'bm25' }),
    });
    expect(after.body.results).toEqual([]);
    expect((await api('/api/knowledge-bases/docs', { method: 'DELETE' })).status).toBe(204);
    expect((await api('/api/knowledge-bases/docs')).status).toBe(404);
  });

  it('an upload over the size cap fails that file only, without buffering it', async () => {
    await api('/api/knowledge-bases', { method: 'POST', body: JSON.stringify({ name: 'caps' }) });
    const form = new FormData();
    form.append('files', new Blob([new Uint8Array(51 * 1024 * 1024).fill(0x61)]), 'big.txt');
    form.append('files', new Blob(['small file about herons']), 'small.txt');
    const up = await api('/api/knowledge-bases/caps/documents', { method: 'POST', body: form });
    expect(up.status).toBe(202);
    const job = await waitJob('caps', String(up.body.id));
    expect(job.items[0]).toMatchObject({ name: 'big.txt', status: 'failed', error: { code: 'file_too_large' } });
    expect(job.items[1]).toMatchObject({ name: 'small.txt', status: 'done' });
    // staged upload copies are removed when the job ends
    const staging = path.join(tmp, 'data', 'knowledge', 'staging');
    expect(await fs.readdir(staging).catch(() => [])).toEqual([]);
  });
});
