import type { NodeConfig } from '../../../shared';
import { NodeError, type Executor } from '../types';

/** Query a knowledge base through the runtime's knowledge service. */
export const retrievalExecutor: Executor<NodeConfig<'retrieval'>> = async (ctx) => {
  const knowledge = ctx.services.knowledge;
  if (!knowledge) {
    throw new NodeError(
      'knowledge_unavailable',
      "no knowledge-base store is available to this run (retrieval needs the server's knowledge service)",
    );
  }
  const query = ctx.inputs.query;
  if (typeof query !== 'string' || query.trim() === '') {
    throw new NodeError('invalid_input', 'the retrieval query must be a non-empty string', { path: 'inputs.query' });
  }
  const { knowledgeBase, mode, topK, minScore, filter } = ctx.config;
  const opts = {
    mode,
    topK,
    ...(minScore !== undefined ? { minScore } : {}),
    ...(filter !== undefined ? { filter } : {}),
    signal: ctx.signal,
  };
  const outcome = knowledge.searchDetailed
    ? await knowledge.searchDetailed(knowledgeBase, query, opts)
    : { hits: await knowledge.search(knowledgeBase, query, opts), mode, notices: [] };
  const hits = outcome.hits;
  const documents = hits.map((h) => ({ text: h.text, score: h.score, metadata: { ...h.metadata, id: h.id } }));
  ctx.setMeta({
    knowledgeBase,
    mode: outcome.mode,
    ...(outcome.mode !== mode ? { requestedMode: mode } : {}),
    ...(outcome.notices.length ? { notices: outcome.notices } : {}),
    chunks: hits.map((h) => ({
      id: h.id,
      score: h.score,
      source: typeof h.metadata.source === 'string' ? h.metadata.source : null,
    })),
  });
  return { outputs: { documents } };
};
