import { requiredOrType } from './errors';
import { z } from 'zod';

/** Largest file a knowledge base ingests (server refuses larger ones per file; the builder checks before uploading). */
export const KNOWLEDGE_MAX_FILE_BYTES = 50 * 1024 * 1024;

export type KnowledgeSearchMode = 'bm25' | 'vector' | 'hybrid';

export interface KnowledgeBaseConfig {
  /** Characters per chunk (default 1000). */
  chunkSize: number;
  /** Characters shared by neighbouring chunks (default 150). */
  chunkOverlap: number;
  /** `openai:<model>` or `ollama:<model>`; absent = BM25 only. */
  embedding?: string;
  /** For csv/jsonl: the column holding the text (default: `text`, else the longest string column). */
  textColumn?: string;
}

/** A knowledge base (`GET /api/knowledge-bases[/:kb]`, `201` of a create). */
export interface KnowledgeBaseInfo {
  name: string;
  config: KnowledgeBaseConfig;
  /** Vector size, known after the first embedding call. */
  dimensions: number | null;
  documents: number;
  chunks: number;
  createdAt: number;
  updatedAt: number;
}

/** `GET /api/knowledge-bases`. */
export interface KnowledgeBaseListResponse {
  knowledgeBases: KnowledgeBaseInfo[];
}

/** A document of a knowledge base (`GET /api/knowledge-bases/:kb/documents`). */
export interface KnowledgeDocumentInfo {
  id: string;
  kb: string;
  /** File name or URL: what answers cite. */
  source: string;
  kind: 'file' | 'url';
  status: 'ingesting' | 'ready' | 'failed';
  chunks: number;
  bytes: number;
  contentHash: string;
  error: string | null;
  updatedAt: number;
}

export interface KnowledgeDocumentListResponse {
  documents: KnowledgeDocumentInfo[];
}

/** A chunk: a query hit, or a document's chunk in the preview (score 0). */
export interface KnowledgeChunk {
  id: string;
  text: string;
  score: number;
  metadata: Record<string, unknown>;
}

/** `GET /api/knowledge-bases/:kb/documents/:docId/chunks`, in document order. */
export interface KnowledgeChunkListResponse {
  chunks: KnowledgeChunk[];
}

/** One file or URL of an ingest job. */
export interface IngestItemInfo {
  name: string;
  kind: 'file' | 'url';
  /** `unchanged`: same bytes and settings as the stored version (skipped). */
  status: 'queued' | 'running' | 'done' | 'unchanged' | 'failed';
  /** 0–1. */
  progress: number;
  error?: { code: string; message: string };
  /** Tries so far (an item interrupted by a restart is tried again). */
  attempts?: number;
  docId?: string;
  chunks?: number;
}

/** An ingest job (`202` of an upload or URL ingest, `GET …/jobs/:jobId`). */
export interface IngestJobInfo {
  id: string;
  kb: string;
  /** `succeeded`: at least one item did not fail; `failed`: every item failed; `cancelled`: its knowledge base was deleted. */
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  items: IngestItemInfo[];
  /** 0–1. */
  progress: number;
  createdAt: number;
  updatedAt: number;
}

/** `GET /api/knowledge-bases/:kb/jobs`, newest first. */
export interface IngestJobListResponse {
  jobs: IngestJobInfo[];
}

/** Something a user should know about how a knowledge query ran. */
export interface KnowledgeQueryNotice {
  /** `bm25_only`: hybrid ran as BM25 (no embedding model); `no_match`: nothing matched;
   *  `reindexed`: the keyword index was rebuilt for the current analyzer first. */
  code: 'bm25_only' | 'no_match' | 'reindexed';
  message: string;
}

/** `POST /api/knowledge-bases/:kb/query` response. */
export interface KnowledgeQueryResponse {
  /** The mode that ran. */
  mode: KnowledgeSearchMode;
  /** The mode asked for (differs when hybrid ran as BM25 only). */
  requestedMode: KnowledgeSearchMode;
  topK: number;
  tookMs: number;
  notices: KnowledgeQueryNotice[];
  results: KnowledgeChunk[];
}

/** Non-blank text (trimmed), at most `max` characters. */
const kbText = (max: number) => z.string({ error: requiredOrType }).trim().min(1, 'must not be empty').max(max);

/** Body of `POST /api/knowledge-bases`. */
export const createKnowledgeBaseSchema = z
  .object({
    name: z.string({ error: requiredOrType }).max(200),
    /** Characters per chunk (service default 1000; 50–20000). */
    chunkSize: z.number().int().min(50).max(20_000).nullish(),
    /** Characters shared by neighbouring chunks (service default 150; below chunkSize). */
    chunkOverlap: z.number().int().min(0).max(20_000).nullish(),
    /** `openai:<model>` or `ollama:<model>`; absent or empty = BM25 only. */
    embedding: z.string().max(200).optional(),
    /** For csv/jsonl: the column holding the text. */
    textColumn: z.string().max(200).optional(),
  })
  .strict();
export type CreateKnowledgeBaseRequest = z.input<typeof createKnowledgeBaseSchema>;

/** Body of `POST /api/knowledge-bases/:kb/urls`: `urls`, or one `url`. */
export const ingestUrlsSchema = z
  .object({
    urls: z.array(kbText(2_048)).min(1, 'must list at least one URL').max(100).optional(),
    url: kbText(2_048).optional(),
  })
  .strict()
  .refine((b) => b.urls !== undefined || b.url !== undefined, {
    message: 'required: urls (a list of URLs) or url',
    path: ['urls'],
  });
export type IngestUrlsRequest = z.input<typeof ingestUrlsSchema>;

/** Body of `POST /api/knowledge-bases/:kb/query`. */
export const knowledgeQuerySchema = z
  .object({
    query: kbText(10_000),
    mode: z.enum(['bm25', 'vector', 'hybrid']).default('bm25'),
    topK: z.number().int().min(1).max(100).default(5),
    minScore: z.number().optional(),
    /** Chunk metadata that must match: `{ "source": "faq.md" }`, `{ "lang": ["en", "de"] }`. */
    filter: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type KnowledgeQueryRequest = z.input<typeof knowledgeQuerySchema>;
