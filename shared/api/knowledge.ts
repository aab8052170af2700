/** Largest file a knowledge base ingests (server refuses larger ones per file; the builder checks before uploading). */
export const KNOWLEDGE_MAX_FILE_BYTES = 50 * 1024 * 1024;
