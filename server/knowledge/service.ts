/**
 * The knowledge-base use cases: create / list / delete knowledge bases, background
 * ingest jobs (persisted; resumed after a restart), documents, chunks and search.
 * Implements the runtime's KnowledgeSearch for the retrieval node.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import type { Resolver } from '../net/guarded-fetch';
import type { KnowledgeSearch } from '../runtime/types';
import type { Storage } from '../storage/index';
import { createEmbedder, type Embedder } from './embeddings';
import { ingestDocument, type IngestDeps } from './ingest';
import { LanceIndex, filterToSql, reciprocalRankFusion } from './lance-index';
import { KnowledgeRepo, type IngestItem, type IngestJob, type JobStatus, type StoredDocument } from './repo';
import {
  DEFAULT_KB_CONFIG,
  DEFAULT_MAX_FILE_BYTES,
  KB_NAME_RE,
  KnowledgeError,
  type KnowledgeBase,
  type KnowledgeBaseConfig,
  type SearchHit,
  type SearchNotice,
  type SearchOptions,
  type SearchOutcome,
} from './types';

/** Starts of one ingest item before it is given up (each start is counted in the database first). */
export const MAX_INGEST_ATTEMPTS = 3;

export interface KnowledgeServiceOptions {
  config: Pick<Config, 'dataDir' | 'providers' | 'httpAllowHosts'>;
  storage: Storage;
  maxFileBytes?: number;
  urlTimeoutMs?: number;
  /** Tests inject a resolver for URL ingestion. */
  resolver?: Resolver;
  /** Tests may inject an embedder instead of calling a provider. */
  embedder?: (model: string) => Embedder;
}

export interface NewIngestItem {
  name: string;
  kind: 'file' | 'url';
  path?: string;
  /** Already failed before the job (e.g. upload over the size cap). */
  error?: { code: string; message: string };
}

export class KnowledgeService implements KnowledgeSearch {
  readonly repo: KnowledgeRepo;
  readonly index: LanceIndex;
  readonly stagingDir: string;
  private readonly deps: IngestDeps;
  private readonly embedders = new Map<string, Embedder>();
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private started = false;

  constructor(private readonly opts: KnowledgeServiceOptions) {
    const root = path.join(opts.config.dataDir, 'knowledge');
    this.repo = new KnowledgeRepo(opts.storage);
    this.index = new LanceIndex(path.join(root, 'lance'));
    this.stagingDir = path.join(root, 'staging');
    this.deps = {
      repo: this.repo,
      index: this.index,
      maxFileBytes: opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
      urlTimeoutMs: opts.urlTimeoutMs ?? 15_000,
      allowHosts: opts.config.httpAllowHosts,
      ...(opts.resolver ? { resolver: opts.resolver } : {}),
      embedderFor: (m) => this.embedderFor(m),
    };
  }

  get maxFileBytes(): number {
    return this.deps.maxFileBytes;
  }

  private embedderFor(model: string): Embedder {
    let e = this.embedders.get(model);
    if (!e) {
      e = this.opts.embedder ? this.opts.embedder(model) : createEmbedder(model, this.opts.config);
      this.embedders.set(model, e);
    }
    return e;
  }

  /**
   * Heal interrupted writes and resume unfinished jobs. Call once at server start. An item
   * that was started MAX_INGEST_ATTEMPTS times without finishing is marked failed instead of
   * being resumed, so a document that takes the process down is not replayed into a crash loop.
   */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    // Tables built by an older keyword analyzer are re-indexed in the background (a search
    // that comes first does it itself, under the same per-table lock).
    void this.index.upgradeAll().catch(() => undefined);
    for (const kb of await this.repo.listKbs()) {
      for (const d of await this.repo.documents(kb.name)) {
        if (d.status !== 'ingesting') continue;
        await this.index.deleteDocument(kb.name, d.id, d.gen ?? '\0none');
        const left = await this.index.count(kb.name, d.id);
        await this.repo.upsertDocument({
          ...d,
          status: left > 0 ? 'ready' : 'failed',
          error: left > 0 ? null : 'ingest interrupted; ingest it again',
        });
      }
    }
    for (const job of await this.repo.unfinishedJobs()) this.enqueue(job.id);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.queue.catch(() => undefined);
    this.index.close();
  }

  // ---- knowledge bases ----

  async createKb(name: string, partial: Partial<KnowledgeBaseConfig> = {}): Promise<KnowledgeBase> {
    if (!KB_NAME_RE.test(name))
      throw new KnowledgeError(
        'invalid',
        `invalid knowledge base name "${name}" (lower-case letters, digits, - and _; up to 64)`,
      );
    const cfg: KnowledgeBaseConfig = {
      ...DEFAULT_KB_CONFIG,
      ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
    };
    if (!Number.isInteger(cfg.chunkSize) || cfg.chunkSize < 50 || cfg.chunkSize > 20_000)
      throw new KnowledgeError('invalid', 'chunkSize must be an integer between 50 and 20000');
    if (!Number.isInteger(cfg.chunkOverlap) || cfg.chunkOverlap < 0 || cfg.chunkOverlap >= cfg.chunkSize)
      throw new KnowledgeError('invalid', 'chunkOverlap must be an integer ≥ 0 and below chunkSize');
    if (await this.repo.kbRow(name)) throw new KnowledgeError('conflict', `knowledge base ${name} already exists`);
    let dims: number | null = null;
    if (cfg.embedding) {
      const [probe] = await this.embedderFor(cfg.embedding)(['dimension probe']);
      if (!probe?.length)
        throw new KnowledgeError('embedding_failed', `embedding model ${cfg.embedding} returned an empty vector`);
      dims = probe.length;
    }
    await this.index.create(name, dims);
    await this.repo.insertKb(name, cfg, dims);
    return this.getKb(name);
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    return this.repo.listKbs();
  }

  async getKb(name: string): Promise<KnowledgeBase> {
    const kb = (await this.repo.listKbs()).find((k) => k.name === name);
    if (!kb) throw new KnowledgeError('not_found', `knowledge base ${name} not found`);
    return kb;
  }

  async deleteKb(name: string): Promise<void> {
    await this.getKb(name);
    await this.repo.deleteKb(name);
    await this.index.drop(name);
  }

  // ---- ingest jobs ----

  /** Record a job and run it in the background; returns at once. */
  async startIngest(kb: string, newItems: NewIngestItem[]): Promise<IngestJob> {
    await this.getKb(kb);
    if (!newItems.length) throw new KnowledgeError('invalid', 'nothing to ingest: give files or URLs');
    const items: IngestItem[] = newItems.map((i) => ({
      name: i.name,
      kind: i.kind,
      ...(i.path ? { path: i.path } : {}),
      status: i.error ? 'failed' : 'queued',
      progress: i.error ? 1 : 0,
      ...(i.error ? { error: i.error } : {}),
    }));
    const job = await this.repo.insertJob(randomUUID(), kb, items);
    this.enqueue(job.id);
    return job;
  }

  /** Wait until a job has finished (CLI, tests). */
  async waitForJob(jobId: string, onUpdate?: (job: IngestJob) => void, pollMs = 100): Promise<IngestJob> {
    for (;;) {
      const job = await this.repo.job(jobId);
      if (!job) throw new KnowledgeError('not_found', `job ${jobId} not found`);
      onUpdate?.(job);
      if (!['queued', 'running'].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  async getJob(kb: string, jobId: string): Promise<IngestJob> {
    const job = await this.repo.job(jobId);
    if (!job || job.kb !== kb) throw new KnowledgeError('not_found', `job ${jobId} not found in ${kb}`);
    return job;
  }

  listJobs(kb: string): Promise<IngestJob[]> {
    return this.repo.jobs(kb);
  }

  /** Files under the staging folder are upload copies the job owns; others (CLI, seed) are the user's. */
  private isStaged(p: string): boolean {
    const rel = path.relative(this.stagingDir, p);
    return !rel.startsWith('..') && !path.isAbsolute(rel);
  }

  private enqueue(jobId: string): void {
    this.queue = this.queue.then(() => this.runJob(jobId)).catch(() => undefined);
  }

  private async runJob(jobId: string): Promise<void> {
    const job = await this.repo.job(jobId);
    if (!job || !['queued', 'running'].includes(job.status)) return;
    const kbRow = await this.repo.kbRow(job.kb);
    if (!kbRow) return this.repo.updateJob(jobId, 'cancelled', job.items);
    const items = job.items;
    let lastSave = 0;
    const save = async (status: JobStatus, force = false): Promise<void> => {
      if (!force && Date.now() - lastSave < 250) return;
      lastSave = Date.now();
      await this.repo.updateJob(jobId, status, items);
    };
    await save('running', true);
    for (const item of items) {
      if (this.abort.signal.aborted) return; // resumes after restart
      if (item.status !== 'queued' && item.status !== 'running') continue;
      if ((item.attempts ?? 0) >= MAX_INGEST_ATTEMPTS) {
        // started that many times and never finished: the process went down each time
        Object.assign(item, {
          status: 'failed',
          progress: 1,
          error: {
            code: 'too_many_attempts',
            message: `${item.name}: ingest started ${item.attempts} times without finishing (the server stopped while ingesting it); not retried again`,
          },
        });
        if (item.path && this.isStaged(item.path)) await fs.rm(item.path, { force: true });
        await save('running', true);
        continue;
      }
      item.status = 'running';
      item.progress = 0;
      item.attempts = (item.attempts ?? 0) + 1;
      await save('running', true);
      try {
        const out = await ingestDocument(
          this.deps,
          job.kb,
          kbRow.config,
          item,
          (p) => {
            item.progress = p;
            void save('running');
          },
          this.abort.signal,
        );
        Object.assign(item, {
          status: out.unchanged ? 'unchanged' : 'done',
          progress: 1,
          docId: out.docId,
          chunks: out.chunks,
        });
      } catch (err) {
        if (this.abort.signal.aborted) return;
        const e =
          err instanceof KnowledgeError
            ? err
            : new KnowledgeError('corrupt_file', `${item.name}: ${(err as Error).message}`);
        Object.assign(item, { status: 'failed', progress: 1, error: { code: e.code, message: e.message } });
      }
      if (item.path && this.isStaged(item.path)) await fs.rm(item.path, { force: true });
      await save('running', true);
    }
    await this.index.optimize(job.kb).catch(() => undefined);
    await this.repo.touchKb(job.kb);
    const allFailed = items.every((i) => i.status === 'failed');
    await save(allFailed ? 'failed' : 'succeeded', true);
    const stageDirs = new Set(
      items.filter((i) => i.path && this.isStaged(i.path)).map((i) => path.dirname(i.path as string)),
    );
    for (const d of stageDirs) if (d !== this.stagingDir) await fs.rm(d, { recursive: true, force: true });
  }

  // ---- documents ----

  async listDocuments(kb: string): Promise<StoredDocument[]> {
    await this.getKb(kb);
    return this.repo.documents(kb);
  }

  async deleteDocument(kb: string, docId: string): Promise<void> {
    const doc = await this.repo.document(kb, docId);
    if (!doc) throw new KnowledgeError('not_found', `document ${docId} not found in ${kb}`);
    await this.index.deleteDocument(kb, docId);
    await this.repo.deleteDocument(kb, docId);
  }

  async documentChunks(kb: string, docId: string): Promise<SearchHit[]> {
    const doc = await this.repo.document(kb, docId);
    if (!doc) throw new KnowledgeError('not_found', `document ${docId} not found in ${kb}`);
    return this.index.chunks(kb, docId);
  }

  // ---- search ----

  /** The mode a search really uses: hybrid degrades to BM25 on a base without embeddings. */
  async effectiveMode(kb: string, mode: SearchOptions['mode']): Promise<SearchOptions['mode']> {
    const row = await this.repo.kbRow(kb);
    return mode === 'hybrid' && row && !row.config.embedding ? 'bm25' : mode;
  }

  async search(kb: string, query: string, opts: SearchOptions): Promise<SearchHit[]> {
    return (await this.searchDetailed(kb, query, opts)).hits;
  }

  /** Search, saying how it ran: the mode used and notices (BM25 only, no match, re-indexed). */
  async searchDetailed(kb: string, query: string, opts: SearchOptions): Promise<SearchOutcome> {
    const row = await this.repo.kbRow(kb);
    if (!row) throw new KnowledgeError('not_found', `knowledge base ${kb} not found`);
    if (!query.trim()) throw new KnowledgeError('invalid', 'query is empty');
    const topK = Math.max(1, Math.min(100, Math.floor(opts.topK)));
    const where = filterToSql(opts.filter);
    // Hybrid on a knowledge base without an embedding model degrades to BM25 (the default
    // retrieval mode is hybrid, and a BM25-only base is the common first setup); an explicit
    // vector query still fails with a clear error.
    const mode = opts.mode === 'hybrid' && !row.config.embedding ? 'bm25' : opts.mode;
    const needVector = mode !== 'bm25';
    if (needVector && !row.config.embedding) {
      throw new KnowledgeError(
        'no_embedding_model',
        `knowledge base ${kb} has no embedding model: use mode "bm25" or create it with an embedding model`,
      );
    }
    const vector = needVector
      ? (await this.embedderFor(row.config.embedding as string)([query], opts.signal))[0]
      : undefined;
    opts.signal?.throwIfAborted();
    let hits: SearchHit[];
    if (mode === 'bm25') hits = await this.index.bm25(kb, query, topK, where);
    else if (mode === 'vector') hits = await this.index.vector(kb, vector as number[], topK, where);
    else {
      const depth = Math.max(topK * 4, 20);
      const [lex, sem] = await Promise.all([
        this.index.bm25(kb, query, depth, where),
        this.index.vector(kb, vector as number[], depth, where),
      ]);
      hits = reciprocalRankFusion([lex, sem], topK);
    }
    if (opts.minScore !== undefined) hits = hits.filter((h) => h.score >= (opts.minScore as number));
    const notices: SearchNotice[] = [];
    if (this.index.takeUpgraded(kb))
      notices.push({
        code: 'reindexed',
        message: `the keyword index of ${kb} was rebuilt for this version's tokenizer (CJK text) before this search`,
      });
    if (mode !== opts.mode)
      notices.push({
        code: 'bm25_only',
        message: `ran as BM25 only: knowledge base ${kb} has no embedding model, so "${opts.mode}" search has no vector side`,
      });
    if (hits.length === 0)
      notices.push({
        code: 'no_match',
        message:
          opts.minScore !== undefined
            ? `no chunk matched the query with a score of at least ${opts.minScore}`
            : 'no chunk matched the query',
      });
    return { hits, requestedMode: opts.mode, mode, notices };
  }
}
