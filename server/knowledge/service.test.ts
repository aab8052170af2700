import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../config';
import { openStorage, type Storage } from '../storage/index';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { buildPdf } from './fixtures.test-support';
import { LanceIndex, reciprocalRankFusion } from './lance-index';
import { knowledgeSearchFor } from './index';
import { NodeError } from '../runtime/types';
import { KnowledgeService } from './service';
import type { SearchHit } from './types';

const VOCAB = ['refund', 'shipping', 'password', 'invoice', 'delivery', 'account'];
/** A deterministic "semantic" embedder for tests: which vocabulary words a text mentions. */
const keywordEmbedder = () => async (texts: string[]) =>
  texts.map((t) => {
    const v: number[] = VOCAB.map((w) => (t.toLowerCase().includes(w) ? 1 : 0));
    v.push(0.01);
    return v;
  });

const dirs: string[] = [];
const open: Array<{ svc: KnowledgeService; storage: Storage }> = [];

async function tmpDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'braid-kb-'));
  dirs.push(d);
  return d;
}

async function boot(
  dataDir: string,
  extra: Partial<ConstructorParameters<typeof KnowledgeService>[0]> = {},
  config?: Config,
): Promise<KnowledgeService> {
  const cfg = config ?? loadConfig({ BRAID_DATA_DIR: dataDir });
  const storage = await openStorage(cfg);
  const svc = new KnowledgeService({ config: cfg, storage, ...extra });
  open.push({ svc, storage });
  return svc;
}

async function shutdown(svc: KnowledgeService): Promise<void> {
  const i = open.findIndex((o) => o.svc === svc);
  const [o] = open.splice(i, 1);
  await o.svc.close();
  await o.storage.close();
}

async function writeFiles(
  dir: string,
  files: Record<string, string | Buffer>,
): Promise<Array<{ name: string; kind: 'file'; path: string }>> {
  return Promise.all(
    Object.entries(files).map(async ([name, content]) => {
      const p = path.join(dir, name);
      await fs.writeFile(p, content);
      return { name, kind: 'file' as const, path: p };
    }),
  );
}

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.svc.close();
    await o.storage.close();
  }
});
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

const CORPUS = {
  'refunds.md': '# Refunds\nA refund is issued within five business days after we receive the returned item.',
  'shipping.md': '# Shipping\nStandard shipping takes three to seven days. Express delivery arrives the next day.',
  'accounts.md':
    '# Accounts\nTo reset your password open Settings and choose Reset password. Your account stays active.',
  'invoices.txt': 'Invoices are emailed monthly. Download any invoice from the billing page.',
};

describe('KnowledgeService', () => {
  it('BM25 ranks the document that answers first; results carry source, heading, position', async () => {
    const dir = await tmpDir();
    const svc = await boot(dir);
    await svc.createKb('support');
    const job = await svc.startIngest('support', await writeFiles(dir, CORPUS));
    const done = await svc.waitForJob(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.progress).toBe(1);
    expect(done.items.every((i) => i.status === 'done')).toBe(true);

    const hits = await svc.search('support', 'how do I reset my password', { mode: 'bm25', topK: 3 });
    expect(hits[0].metadata).toMatchObject({ source: 'accounts.md', heading: 'Accounts', position: 0 });
    expect(hits[0].score).toBeGreaterThan(hits[1]?.score ?? 0);
    const ship = await svc.search('support', 'express delivery next day', { mode: 'bm25', topK: 1 });
    expect(ship.map((h) => h.metadata.source)).toEqual(['shipping.md']);
    const kb = await svc.getKb('support');
    expect(kb).toMatchObject({ documents: 4, chunks: 4 });
    // minScore drops weak hits
    const strong = await svc.search('support', 'password', { mode: 'bm25', topK: 5, minScore: 100 });
    expect(strong).toEqual([]);
  });

  it('filters: equality, any-of arrays, source; vector mode needs an embedding model', async () => {
    const dir = await tmpDir();
    const svc = await boot(dir);
    await svc.createKb('rows', { textColumn: 'text' });
    const jsonl = [
      '{"text":"refund policy for books","lang":"en","tier":1}',
      '{"text":"refund policy for music","lang":"fr","tier":2}',
      '{"text":"refund policy for games","lang":"de","tier":1}',
    ].join('\n');
    await svc.waitForJob(
      (
        await svc.startIngest(
          'rows',
          await writeFiles(dir, { 'p.jsonl': jsonl, 'other.txt': 'refund policy elsewhere' }),
        )
      ).id,
    );
    const src = (hs: SearchHit[]) => hs.map((h) => h.text).sort();
    expect(src(await svc.search('rows', 'refund policy', { mode: 'bm25', topK: 10, filter: { lang: 'fr' } }))).toEqual([
      'refund policy for music',
    ]);
    expect(
      src(await svc.search('rows', 'refund policy', { mode: 'bm25', topK: 10, filter: { lang: ['en', 'de'] } })),
    ).toEqual(['refund policy for books', 'refund policy for games']);
    expect(
      src(await svc.search('rows', 'refund policy', { mode: 'bm25', topK: 10, filter: { tier: 1, lang: 'de' } })),
    ).toEqual(['refund policy for games']);
    expect(
      src(await svc.search('rows', 'refund', { mode: 'bm25', topK: 10, filter: { source: 'other.txt' } })),
    ).toEqual(['refund policy elsewhere']);
    expect(await svc.search('rows', 'refund', { mode: 'bm25', topK: 10, filter: { lang: "x' OR 1=1 --" } })).toEqual(
      [],
    );
    await expect(svc.search('rows', 'refund', { mode: 'vector', topK: 3 })).rejects.toThrow(/no embedding model/);
    // hybrid (the retrieval node's default) degrades to BM25 on a base without embeddings
    expect(
      src(await svc.search('rows', 'refund policy', { mode: 'hybrid', topK: 10, filter: { lang: 'fr' } })),
    ).toEqual(['refund policy for music']);
  });

  it('hybrid = reciprocal-rank fusion of BM25 and vector lists', async () => {
    const a: SearchHit[] = ['x', 'y', 'z'].map((id) => ({ id, text: id, score: 1, metadata: {} }));
    const b: SearchHit[] = ['z', 'y', 'w'].map((id) => ({ id, text: id, score: 1, metadata: {} }));
    const fused = reciprocalRankFusion([a, b], 4);
    // z: 1/61 + 1/63 ≈ 0.032267 beats y: 1/62 + 1/62 ≈ 0.032258; then x: 1/61; w: 1/63
    expect(fused.map((h) => h.id)).toEqual(['z', 'y', 'x', 'w']);
    expect(fused[0].score).toBeCloseTo(1 / 61 + 1 / 63, 12);
    expect(fused[1].score).toBeCloseTo(2 / 62, 12);

    const dir = await tmpDir();
    const svc = await boot(dir, { embedder: keywordEmbedder });
    await svc.createKb('hy', { embedding: 'openai:test' });
    expect((await svc.getKb('hy')).dimensions).toBe(VOCAB.length + 1);
    await svc.waitForJob((await svc.startIngest('hy', await writeFiles(dir, CORPUS))).id);
    const q = 'refund delivery';
    const lex = await svc.search('hy', q, { mode: 'bm25', topK: 10 });
    const sem = await svc.search('hy', q, { mode: 'vector', topK: 10 });
    const hyb = await svc.search('hy', q, { mode: 'hybrid', topK: 3 });
    expect(hyb.map((h) => h.id)).toEqual(reciprocalRankFusion([lex, sem], 3).map((h) => h.id));
    expect(new Set(hyb.slice(0, 2).map((h) => h.metadata.source))).toEqual(new Set(['refunds.md', 'shipping.md']));
    expect(sem[0].score).toBeGreaterThan(0.5);
  });

  it('embeds through an OpenAI-compatible server (keep-alive HTTP)', async () => {
    const fake: FakeOpenAI = await startFakeOpenAI();
    try {
      const dir = await tmpDir();
      const cfg = loadConfig({ BRAID_DATA_DIR: dir, OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test' });
      const svc = await boot(dir, {}, cfg);
      await svc.createKb('oa', { embedding: 'openai:text-embedding-3-small' });
      expect((await svc.getKb('oa')).dimensions).toBe(64);
      const job = await svc.waitForJob((await svc.startIngest('oa', await writeFiles(dir, CORPUS))).id);
      expect(job.status).toBe('succeeded');
      const hits = await svc.search('oa', 'invoice billing', { mode: 'hybrid', topK: 2 });
      expect(hits.length).toBe(2);
      expect(fake.calls.some((c) => c.path === '/v1/embeddings')).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('persists across a restart; re-ingest replaces chunks; delete leaves no orphans', async () => {
    const dir = await tmpDir();
    let svc = await boot(dir);
    await svc.createKb('p', { chunkSize: 100, chunkOverlap: 10 });
    const long = Array.from({ length: 30 }, (_, i) => `Sentence number ${i} talks about zebras.`).join(' ');
    const files = await writeFiles(dir, { 'z.txt': long, 'keep.txt': 'giraffes live in Africa' });
    await svc.waitForJob((await svc.startIngest('p', files)).id);
    const before = await svc.index.count('p');
    expect(before).toBeGreaterThan(5);
    await shutdown(svc);

    svc = await boot(dir);
    await svc.start();
    expect((await svc.search('p', 'zebras', { mode: 'bm25', topK: 1 }))[0].metadata.source).toBe('z.txt');
    expect(await svc.index.count('p')).toBe(before);

    // same content again: unchanged, nothing duplicated
    const again = await svc.waitForJob((await svc.startIngest('p', files)).id);
    expect(again.items.map((i) => i.status)).toEqual(['unchanged', 'unchanged']);
    expect(await svc.index.count('p')).toBe(before);

    // changed content replaces the old chunks
    await fs.writeFile(files[0].path, 'Only one short sentence about lions now.');
    await svc.waitForJob((await svc.startIngest('p', [files[0]])).id);
    const docs = await svc.listDocuments('p');
    const z = docs.find((d) => d.source === 'z.txt');
    expect(z?.chunks).toBe(1);
    expect(await svc.index.count('p')).toBe(2);
    expect(await svc.search('p', 'zebras', { mode: 'bm25', topK: 5 })).toEqual([]);
    expect((await svc.documentChunks('p', z?.id ?? '')).map((c) => c.text)).toEqual([
      'Only one short sentence about lions now.',
    ]);

    await svc.deleteDocument('p', z?.id ?? '');
    expect(await svc.index.count('p')).toBe(1);
    expect([...(await svc.index.docIds('p'))]).toEqual([(await svc.listDocuments('p'))[0].id]);
    await svc.deleteKb('p');
    expect(await svc.listKbs()).toEqual([]);
  });

  it('a job interrupted by a restart resumes without duplicating chunks', async () => {
    const dir = await tmpDir();
    let svc = await boot(dir);
    await svc.createKb('r');
    const files = await writeFiles(dir, CORPUS);
    // Simulate a crash mid-job: the first document is written, the job row still says running.
    const job = await svc.repo.insertJob(
      'job-1',
      'r',
      files.map((f) => ({ ...f, status: 'queued' as const, progress: 0 })),
    );
    const { ingestDocument } = await import('./ingest');
    const cfg = (await svc.getKb('r')).config;
    await ingestDocument(
      (svc as unknown as { deps: Parameters<typeof ingestDocument>[0] }).deps,
      'r',
      cfg,
      files[0],
      () => undefined,
    );
    await svc.repo.updateJob(
      job.id,
      'running',
      job.items.map((i, n) => (n === 0 ? { ...i, status: 'running' as const } : i)),
    );
    await shutdown(svc);

    svc = await boot(dir);
    await svc.start();
    const done = await svc.waitForJob('job-1');
    expect(done.status).toBe('succeeded');
    expect(await svc.index.count('r')).toBe(4);
    expect((await svc.listDocuments('r')).map((d) => d.status)).toEqual(['ready', 'ready', 'ready', 'ready']);
  });

  it('bad inputs fail per file with clear errors; the rest ingest; nothing half-written', async () => {
    const dir = await tmpDir();
    // a slow server for the URL timeout
    const server = http.createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const cfg = loadConfig({ BRAID_DATA_DIR: dir, BRAID_HTTP_ALLOW_HOSTS: 'slow.test' });
      const svc = await boot(
        dir,
        { maxFileBytes: 1024 * 1024, urlTimeoutMs: 300, resolver: async () => [{ address: '127.0.0.1', family: 4 }] },
        cfg,
      );
      await svc.createKb('bad');
      const big = path.join(dir, 'huge.txt');
      const fh = await fs.open(big, 'w');
      await fh.truncate(200 * 1024 * 1024); // sparse 200 MB file: rejected by size without reading it
      await fh.close();
      const files = await writeFiles(dir, {
        'good.md': '# Good\nThis file is fine and mentions walruses.',
        'empty.txt': '',
        'corrupt.pdf': '%PDF-1.7\nthis is not really a pdf',
        'locked.pdf': buildPdf(['secret'], { encrypted: true }),
        'fake.txt': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3, 0]),
        'app.exe': 'MZ',
      });
      const job = await svc.waitForJob(
        (
          await svc.startIngest('bad', [
            ...files,
            { name: 'huge.txt', kind: 'file', path: big },
            { name: `http://slow.test:${port}/page.html`, kind: 'url' },
          ])
        ).id,
      );
      const byName = Object.fromEntries(job.items.map((i) => [i.name, i]));
      expect(byName['good.md'].status).toBe('done');
      expect(byName['empty.txt'].error?.code).toBe('empty_file');
      expect(byName['corrupt.pdf'].error?.code).toBe('corrupt_file');
      expect(byName['locked.pdf'].error?.code).toBe('password_protected');
      expect(byName['fake.txt'].error?.code).toBe('binary_content');
      expect(byName['app.exe'].error?.code).toBe('unsupported_type');
      expect(byName['huge.txt'].error).toMatchObject({ code: 'file_too_large' });
      expect(byName['huge.txt'].error?.message).toMatch(/209715200 bytes is over the 1048576-byte limit/);
      expect(byName[`http://slow.test:${port}/page.html`].error?.message).toMatch(/timed out/);
      expect(job.status).toBe('succeeded');
      const docs = await svc.listDocuments('bad');
      expect(docs.map((d) => d.source)).toEqual(['good.md']);
      expect(await svc.index.count('bad')).toBe(1);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('ingests a URL through the SSRF guard; private addresses are refused', async () => {
    const dir = await tmpDir();
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        '<html><body><nav>menu</nav><article><h1>Otters</h1><p>Otters hold hands while sleeping.</p></article></body></html>',
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const cfg = loadConfig({ BRAID_DATA_DIR: dir, BRAID_HTTP_ALLOW_HOSTS: 'docs.test' });
      const svc = await boot(dir, { resolver: async () => [{ address: '127.0.0.1', family: 4 }] }, cfg);
      await svc.createKb('web');
      const ok = `http://docs.test:${port}/otters`;
      const job = await svc.waitForJob(
        (
          await svc.startIngest('web', [
            { name: ok, kind: 'url' },
            { name: `http://127.0.0.1:${port}/x`, kind: 'url' },
          ])
        ).id,
      );
      expect(job.items[0].status).toBe('done');
      expect(job.items[1].error?.code).toBe('fetch_failed');
      expect(job.items[1].error?.message).toMatch(/127\.0\.0\.1/);
      const [hit] = await svc.search('web', 'otters sleeping', { mode: 'bm25', topK: 1 });
      expect(hit.metadata).toMatchObject({ source: ok, heading: 'Otters' });
      expect(hit.text).not.toContain('menu');
    } finally {
      server.close();
    }
  });

  it('the runtime view turns knowledge errors into NodeErrors with codes', async () => {
    const dir = await tmpDir();
    const cfg = loadConfig({ BRAID_DATA_DIR: dir });
    const storage = await openStorage(cfg);
    try {
      const search = knowledgeSearchFor(cfg, storage);
      const err = await search.search('missing', 'q', { mode: 'bm25', topK: 3 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NodeError);
      expect((err as NodeError).code).toBe('kb_not_found');
      expect((err as NodeError).message).toMatch(/knowledge base missing not found/);
    } finally {
      await storage.close();
    }
  });

  it('embeds through Ollama (/api/embed) when the model is ollama:<name>', async () => {
    const seen: Array<{ model: string; input: string[] }> = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const b = JSON.parse(body) as { model: string; input: string[] };
        seen.push(b);
        res.writeHead(req.url === '/api/embed' ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ embeddings: b.input.map((t) => [t.length, 1, 0]) }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const dir = await tmpDir();
      const port = (server.address() as AddressInfo).port;
      const svc = await boot(dir, {}, loadConfig({ BRAID_DATA_DIR: dir, OLLAMA_BASE_URL: `http://127.0.0.1:${port}` }));
      await svc.createKb('ol', { embedding: 'ollama:nomic-embed-text' });
      expect((await svc.getKb('ol')).dimensions).toBe(3);
      await svc.waitForJob(
        (await svc.startIngest('ol', await writeFiles(dir, { 'a.txt': 'short', 'b.txt': 'a much longer text here' })))
          .id,
      );
      const hits = await svc.search('ol', 'x', { mode: 'vector', topK: 2 });
      expect(hits.map((h) => h.metadata.source)).toEqual(['a.txt', 'b.txt']);
      expect(seen.every((s) => s.model === 'nomic-embed-text')).toBe(true);
    } finally {
      server.close();
    }
  });

  it('start-up healing removes chunks of writes that were never recorded', async () => {
    const dir = await tmpDir();
    let svc = await boot(dir);
    await svc.createKb('heal');
    const chunk = (docId: string, gen: string, text: string) => ({
      id: `${docId}-${gen}`,
      docId,
      text,
      metadata: { source: `${docId}.txt`, position: 0, docId },
    });
    const base = { kb: 'heal', kind: 'file' as const, bytes: 1, contentHash: 'h', error: null };
    // A: committed g1, crashed after adding g2 (row still says ingesting, gen g1)
    await svc.repo.upsertDocument({ ...base, id: 'a', source: 'a.txt', status: 'ingesting', gen: 'g1', chunks: 1 });
    await svc.index.replaceDocument('heal', 'a', 'g1', [chunk('a', 'g1', 'old apples')], { isNew: true });
    await svc.index.replaceDocument('heal', 'a', 'g2', [chunk('a', 'g2', 'new apples')], { isNew: true });
    // B: a new document whose first write was never recorded
    await svc.repo.upsertDocument({ ...base, id: 'b', source: 'b.txt', status: 'ingesting', gen: null, chunks: 0 });
    await svc.index.replaceDocument('heal', 'b', 'g1', [chunk('b', 'g1', 'bananas')], { isNew: true });
    expect(await svc.index.count('heal')).toBe(3);
    await shutdown(svc);

    svc = await boot(dir);
    await svc.start();
    expect(await svc.index.count('heal')).toBe(1);
    expect((await svc.search('heal', 'apples', { mode: 'bm25', topK: 5 })).map((h) => h.text)).toEqual(['old apples']);
    const docs = await svc.listDocuments('heal');
    expect(docs.map((d) => [d.id, d.status])).toEqual([
      ['a', 'ready'],
      ['b', 'failed'],
    ]);
  });

  it('sees chunks written by another process (CLI next to a server) within a second', async () => {
    const dir = await tmpDir();
    const a = new LanceIndex(dir);
    const b = new LanceIndex(dir);
    try {
      await a.create('shared', null);
      const row = (id: string, text: string) => ({
        id,
        docId: id,
        text,
        metadata: { source: `${id}.txt`, position: 0 },
      });
      await a.replaceDocument('shared', 'x', 'g', [row('x', 'first penguins')], { isNew: true });
      expect(await b.count('shared')).toBe(1);
      await a.replaceDocument('shared', 'y', 'g', [row('y', 'second penguins')], { isNew: true });
      await new Promise((r) => setTimeout(r, 1100));
      expect((await b.bm25('shared', 'penguins', 5)).length).toBe(2);
    } finally {
      a.close();
      b.close();
    }
  });
});
