/** Largest file a knowledge base ingests (server refuses larger ones per file; the builder checks before uploading). */
export const KNOWLEDGE_MAX_FILE_BYTES = 50 * 1024 * 1024;

export type KnowledgeSearchMode = 'bm25' | 'vector' | 'hybrid';

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
  results: Array<{ id: string; text: string; score: number; metadata: Record<string, unknown> }>;
}
