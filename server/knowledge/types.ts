import {
  KNOWLEDGE_MAX_FILE_BYTES,
  type KnowledgeBaseConfig,
  type KnowledgeBaseInfo,
  type KnowledgeChunk,
  type KnowledgeDocumentInfo,
  type KnowledgeSearchMode,
} from '../../shared/api/knowledge';
/** Shared types and the error class of the knowledge domain. */

export type SearchMode = KnowledgeSearchMode;

export type { KnowledgeBaseConfig };
/** The wire shapes of the knowledge API (shared/api/knowledge.ts) are the domain's own. */
export type KnowledgeBase = KnowledgeBaseInfo;
export type DocumentStatus = KnowledgeDocumentInfo['status'];
export type KnowledgeDocument = KnowledgeDocumentInfo;

/** One piece of parsed text plus where it came from (page, heading, row…). */
export interface ParsedSection {
  text: string;
  metadata: Record<string, string | number | boolean>;
}

export interface ParsedFile {
  /** 'markdown' sections are split markdown-aware; others recursively. */
  format: 'text' | 'markdown' | 'html' | 'pdf' | 'docx' | 'csv' | 'jsonl';
  sections: ParsedSection[];
}

export interface ChunkRecord {
  id: string;
  docId: string;
  text: string;
  /** Always has `source`, `docId`, `position`; plus page / heading / row / columns. */
  metadata: Record<string, unknown>;
  vector?: number[];
}

export type SearchHit = KnowledgeChunk;

/** Something a user should know about how a search ran (shown in the API, UI and spans). */
export interface SearchNotice {
  /** `bm25_only`: hybrid ran as BM25 (no embedding model); `no_match`: nothing matched;
   *  `reindexed`: the keyword index was rebuilt for the current analyzer first. */
  code: 'bm25_only' | 'no_match' | 'reindexed';
  message: string;
}

/** A search's hits with how it really ran. */
export interface SearchOutcome {
  hits: SearchHit[];
  /** The mode asked for. */
  requestedMode: SearchMode;
  /** The mode that ran (hybrid degrades to bm25 on a base without embeddings). */
  mode: SearchMode;
  notices: SearchNotice[];
}

export interface SearchOptions {
  mode: SearchMode;
  topK: number;
  minScore?: number;
  filter?: Record<string, unknown>;
  signal?: AbortSignal;
}

export type KnowledgeErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'unsupported_type'
  | 'empty_file'
  | 'file_too_large'
  | 'binary_content'
  | 'corrupt_file'
  | 'password_protected'
  | 'fetch_failed'
  | 'embedding_failed'
  | 'no_embedding_model';

const STATUS: Record<KnowledgeErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  invalid: 400,
  unsupported_type: 415,
  empty_file: 400,
  file_too_large: 413,
  binary_content: 400,
  corrupt_file: 400,
  password_protected: 400,
  fetch_failed: 400,
  embedding_failed: 502,
  no_embedding_model: 400,
};

export class KnowledgeError extends Error {
  readonly code: KnowledgeErrorCode;
  readonly status: number;
  constructor(code: KnowledgeErrorCode, message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'KnowledgeError';
    this.code = code;
    this.status = STATUS[code];
  }
}

export const DEFAULT_KB_CONFIG: KnowledgeBaseConfig = { chunkSize: 1000, chunkOverlap: 150 };
/** Largest file accepted (upload, CLI, URL), bytes. */
export const DEFAULT_MAX_FILE_BYTES = KNOWLEDGE_MAX_FILE_BYTES;
export const KB_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
