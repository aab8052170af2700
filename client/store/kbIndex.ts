import { create } from 'zustand';
import { kbApi, type KnowledgeBaseInfo } from '../knowledge/api';

/**
 * The server's knowledge bases, loaded when the builder opens (null until then, or when
 * they could not be read): new Retrieval nodes pick their mode from the one they name.
 */
export const useKbIndex = create<{ list: KnowledgeBaseInfo[] | null; load(): Promise<void> }>()((set) => ({
  list: null,
  async load() {
    try {
      set({ list: await kbApi.list() });
    } catch {
      set({ list: null });
    }
  },
}));

/**
 * A Retrieval config whose knowledge base has no embeddings searches with BM25: hybrid and
 * vector would silently run as BM25 there. Applied when a Retrieval node is created and
 * when its knowledge base is changed; a mode chosen afterwards is left alone.
 */
export function withKbDefaults(config: Record<string, unknown>, prevKb?: unknown): Record<string, unknown> {
  const name = config.knowledgeBase;
  if (typeof name !== 'string' || name === prevKb) return config;
  const kb = useKbIndex.getState().list?.find((k) => k.name === name);
  if (!kb || kb.config.embedding) return config;
  return config.mode === 'bm25' ? config : { ...config, mode: 'bm25' };
}
