/**
 * One document through the pipeline: read (size-capped) → parse → chunk → embed →
 * commit to the index → record. Everything that can fail runs before the index write,
 * so a failed file leaves nothing behind; the write itself is replace-by-generation.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { guardedFetch, type Resolver } from '../net/guarded-fetch';
import { chunkFile } from './chunker';
import type { Embedder } from './embeddings';
import type { LanceIndex } from './lance-index';
import { parseFile } from './parsers/index';
import type { KnowledgeRepo } from './repo';
import { KnowledgeError, type ChunkRecord, type KnowledgeBaseConfig } from './types';

export interface IngestDeps {
  repo: KnowledgeRepo;
  index: LanceIndex;
  maxFileBytes: number;
  urlTimeoutMs: number;
  allowHosts: readonly string[];
  resolver?: Resolver;
  embedderFor(model: string): Embedder;
}

export interface IngestSource {
  name: string;
  kind: 'file' | 'url';
  /** Path of the bytes (file) — or absent for a URL. */
  path?: string;
}

export interface IngestOutcome {
  docId: string;
  chunks: number;
  unchanged: boolean;
}

/** Stable id of a document in a knowledge base: same source name → same document. */
export function documentId(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 16);
}

async function readCapped(file: string, name: string, max: number): Promise<Buffer> {
  const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new KnowledgeError('not_found', `${name}: cannot read file (${err.code ?? err.message})`);
  });
  if (!st.isFile()) throw new KnowledgeError('invalid', `${name}: not a regular file`);
  if (st.size > max)
    throw new KnowledgeError('file_too_large', `${name}: ${st.size} bytes is over the ${max}-byte limit`);
  return fs.readFile(file);
}

async function fetchUrl(
  url: string,
  deps: IngestDeps,
  signal?: AbortSignal,
): Promise<{ body: Buffer; contentType?: string; finalUrl: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new KnowledgeError('invalid', `${url}: not a valid URL`);
  }
  try {
    const res = await guardedFetch(parsed, {
      timeoutMs: deps.urlTimeoutMs,
      maxBytes: deps.maxFileBytes,
      allowHosts: deps.allowHosts,
      headers: {
        accept: 'text/html, text/plain, text/markdown, application/pdf, */*;q=0.5',
        'user-agent': 'Braid-knowledge/0.1',
      },
      ...(signal ? { signal } : {}),
      ...(deps.resolver ? { resolver: deps.resolver } : {}),
    });
    if (res.status >= 400) throw new KnowledgeError('fetch_failed', `${url}: HTTP ${res.status} ${res.statusText}`);
    return { body: res.body, contentType: res.headers['content-type'], finalUrl: res.url };
  } catch (err) {
    if (err instanceof KnowledgeError) throw err;
    const e = err as { code?: string; message?: string };
    if (e.code === 'response_too_large')
      throw new KnowledgeError('file_too_large', `${url}: ${e.message}`, { cause: err });
    const what = e.code === 'http_timeout' ? `timed out after ${deps.urlTimeoutMs} ms` : (e.message ?? String(err));
    throw new KnowledgeError('fetch_failed', `${url}: ${what}`, { cause: err });
  }
}

/** Ingest one document into a knowledge base, replacing its previous chunks. */
export async function ingestDocument(
  deps: IngestDeps,
  kb: string,
  cfg: KnowledgeBaseConfig,
  src: IngestSource,
  onProgress: (p: number) => void,
  signal?: AbortSignal,
): Promise<IngestOutcome> {
  const docId = documentId(src.name);
  let body: Buffer;
  let contentType: string | undefined;
  if (src.kind === 'url') ({ body, contentType } = await fetchUrl(src.name, deps, signal));
  else body = await readCapped(src.path ?? src.name, src.name, deps.maxFileBytes);
  onProgress(0.2);
  const hash = createHash('sha256')
    .update(JSON.stringify([cfg.chunkSize, cfg.chunkOverlap, cfg.embedding ?? '', cfg.textColumn ?? '']))
    .update(body)
    .digest('hex');
  const existing = await deps.repo.document(kb, docId);
  if (existing && existing.status === 'ready' && existing.contentHash === hash && existing.gen) {
    await deps.index.deleteDocument(kb, docId, existing.gen); // heal any stale generation
    return { docId, chunks: existing.chunks, unchanged: true };
  }
  const parseName = src.kind === 'url' ? new URL(src.name).pathname || src.name : path.basename(src.name);
  const parsed = await parseFile(body, parseName, { contentType, textColumn: cfg.textColumn });
  const drafts = await chunkFile(parsed, cfg);
  if (!drafts.length) throw new KnowledgeError('empty_file', `${src.name}: no text found`);
  onProgress(0.4);
  let vectors: number[][] | undefined;
  if (cfg.embedding) {
    vectors = await deps.embedderFor(cfg.embedding)(
      drafts.map((d) => d.text),
      signal,
    );
    if (vectors.length !== drafts.length)
      throw new KnowledgeError(
        'embedding_failed',
        `${src.name}: got ${vectors.length} embeddings for ${drafts.length} chunks`,
      );
  }
  onProgress(0.8);
  const gen = randomUUID();
  const chunks: ChunkRecord[] = drafts.map((d, i) => ({
    id: `${docId}-${gen.slice(0, 8)}-${i}`,
    docId,
    text: d.text,
    metadata: { ...d.metadata, source: src.name, docId },
    ...(vectors ? { vector: vectors[i] } : {}),
  }));
  const base = { kb, id: docId, source: src.name, kind: src.kind, bytes: body.length, contentHash: hash, error: null };
  // Mark in progress (keeping the committed generation), write, then record the new one.
  await deps.repo.upsertDocument({
    ...base,
    status: 'ingesting',
    gen: existing?.gen ?? null,
    chunks: existing?.chunks ?? 0,
    contentHash: existing?.contentHash ?? '',
  });
  await deps.index.replaceDocument(kb, docId, gen, chunks, { isNew: !existing });
  await deps.repo.upsertDocument({ ...base, status: 'ready', gen, chunks: chunks.length });
  onProgress(1);
  return { docId, chunks: chunks.length, unchanged: false };
}
