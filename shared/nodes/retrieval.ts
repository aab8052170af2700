import { z } from 'zod';
import { defineNodeType } from './define';

export const retrievalConfig = z
  .object({
    knowledgeBase: z.string().min(1, 'name a knowledge base').meta({ widget: 'knowledgeBase' }),
    mode: z.enum(['bm25', 'vector', 'hybrid']).default('hybrid'),
    topK: z.number().int().min(1).max(100).default(4),
    minScore: z.number().min(0).optional(),
    /** Metadata filter: every key must equal the given value (arrays: any of). */
    filter: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const retrievalNode = defineNodeType({
  type: 'retrieval',
  title: 'Retrieval',
  category: 'Knowledge',
  icon: 'search',
  docs: 'Query a knowledge base (BM25, vector or hybrid) and return the top-k chunks as `documents`: `[{ text, score, metadata }]`, where `metadata.source` names the file. The trace records which chunks were used, so answers can cite them.',
  config: retrievalConfig,
  inputs: () => [{ name: 'query', type: 'string', required: true }],
  outputs: () => [{ name: 'documents', type: 'documents' }],
  preview: (config) =>
    `${config.knowledgeBase} · ${config.mode === 'bm25' ? 'BM25' : config.mode} · top ${config.topK}${config.minScore !== undefined ? ` · score ≥ ${config.minScore}` : ''}`,
  example: { knowledgeBase: 'braid-docs', mode: 'hybrid', topK: 4 },
});
