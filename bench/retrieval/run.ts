/**
 * Retrieval benchmark (issue 4). Synthetic English-like corpus (Zipf-distributed words
 * from a 8,000-word vocabulary), written as markdown files and ingested through the real
 * pipeline (job runner → parse → LangChain chunking → LanceDB):
 *  1. ingest throughput, BM25 only: N chunks (default 50,000) in files of 50 chunks;
 *  2. ingest throughput with embeddings from the zero-latency fake OpenAI server
 *     (in this process, so its hashing CPU is counted against us; 384 dimensions);
 *  3. query latency p50/p95 at top-k 5 for bm25, vector and hybrid (300 queries each;
 *     vector/hybrid include the HTTP round trip that embeds the query).
 * Targets: query p95 < 30 ms in each mode; ≥ 1,000 chunks/s ingest with BM25 only.
 *
 * Usage: npx tsx bench/retrieval/run.ts [--chunks 50000] [--queries 300] [--skip-embed]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config';
import { KnowledgeService } from '../../server/knowledge/service';
import { openStorage } from '../../server/storage/index';
import { startFakeOpenAI } from '../../test/support/fake-openai';

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const N = arg('--chunks', 50_000);
const Q = arg('--queries', 300);
const PER_FILE = 50;
const CHUNK_SIZE = 500;

let seed = 42;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const SYL = ['ka', 're', 'mo', 'ti', 'lu', 'sen', 'dor', 'vak', 'pel', 'qui', 'ran', 'zo', 'mi', 'tar', 'gle', 'bo'];
const VOCAB = Array.from({ length: 8000 }, (_, i) => {
  let w = '';
  let n = i + 1;
  while (n > 0) {
    w += SYL[n % SYL.length];
    n = Math.floor(n / SYL.length);
  }
  return w;
});
const word = () => VOCAB[Math.floor(VOCAB.length * rand() ** 2.2)];
/** One chunk-sized paragraph (~480 characters, under the chunk size so it stays one chunk). */
function paragraph(): string {
  let s = '';
  while (s.length < CHUNK_SIZE - 60) s += `${word()} `;
  return `${s.trim()}.`;
}

function writeCorpus(dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let f = 0; f * PER_FILE < N; f++) {
    const paras = Array.from({ length: Math.min(PER_FILE, N - f * PER_FILE) }, paragraph);
    const p = path.join(dir, `doc-${f}.txt`);
    fs.writeFileSync(p, paras.join('\n\n'));
    files.push(p);
  }
  return files;
}

function pct(a: number[], q: number): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-bench-kb-'));
  const fake = await startFakeOpenAI({ embeddingDims: 384 });
  const config = loadConfig({
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-bench',
  });
  const storage = await openStorage(config);
  const svc = new KnowledgeService({ config, storage });
  const files = writeCorpus(path.join(tmp, 'corpus'));
  const items = files.map((p) => ({ name: path.basename(p), kind: 'file' as const, path: p }));
  const rows: string[] = [];
  console.log(`corpus: ${files.length} files, ${N} chunks of ≤ ${CHUNK_SIZE} chars`);

  async function ingest(kb: string, embedding?: string): Promise<void> {
    await svc.createKb(kb, { chunkSize: CHUNK_SIZE, chunkOverlap: 50, ...(embedding ? { embedding } : {}) });
    const t0 = performance.now();
    const job = await svc.waitForJob((await svc.startIngest(kb, items)).id, undefined, 50);
    const secs = (performance.now() - t0) / 1000;
    const chunks = await svc.index.count(kb);
    if (job.status !== 'succeeded' || chunks !== N) throw new Error(`${kb}: job ${job.status}, ${chunks} chunks`);
    const line = `ingest ${embedding ? 'with embeddings (fake server, 384 dims)' : 'BM25 only'}: ${chunks} chunks in ${secs.toFixed(1)} s = ${Math.round(chunks / secs)} chunks/s (incl. final index optimize)`;
    console.log(line);
    rows.push(
      `| retrieval/ingest | ${embedding ? 'embeddings, fake server, 384 dims' : 'BM25 only'} | ${N} chunks, ${files.length} files | ${Math.round(chunks / secs)} chunks/s | ${secs.toFixed(1)} s |`,
    );
  }

  async function latency(kb: string, mode: 'bm25' | 'vector' | 'hybrid'): Promise<void> {
    const lat: number[] = [];
    for (let i = 0; i < Q + 20; i++) {
      const q = `${word()} ${word()} ${VOCAB[Math.floor(rand() * 2000)]}`;
      const t = performance.now();
      const hits = await svc.search(kb, q, { mode, topK: 5 });
      if (i >= 20) lat.push(performance.now() - t);
      if (mode !== 'bm25' && hits.length !== 5) throw new Error(`${mode} returned ${hits.length}`);
    }
    const p50 = pct(lat, 0.5);
    const p95 = pct(lat, 0.95);
    console.log(
      `query ${mode.padEnd(6)} top-5: p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms ${p95 < 30 ? '(target met)' : '(TARGET MISSED)'}`,
    );
    rows.push(
      `| retrieval/query | ${mode}, top-k 5 | ${N} chunks, ${Q} queries | p50 ${p50.toFixed(2)} ms | p95 ${p95.toFixed(2)} ms |`,
    );
  }

  try {
    await ingest('bm25');
    await latency('bm25', 'bm25');
    if (!process.argv.includes('--skip-embed')) {
      await ingest('emb', 'openai:text-embedding-3-small');
      for (const m of ['bm25', 'vector', 'hybrid'] as const) await latency('emb', m);
    }
    console.log(
      `\nrows for bench/RESULTS.md (${new Date().toISOString().slice(0, 10)}, load average ${os.loadavg()[0].toFixed(1)}):\n${rows.join('\n')}`,
    );
  } finally {
    await svc.close();
    await storage.close();
    await fake.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
