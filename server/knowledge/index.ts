/** Entry point of the knowledge domain: one KnowledgeService per open storage. */
import type { Config } from '../config';
import { NodeError, type KnowledgeSearch } from '../runtime/types';
import type { Storage } from '../storage/index';
import { KnowledgeService } from './service';
import { KnowledgeError } from './types';

export { KnowledgeService } from './service';
export { KnowledgeError };
export type { KnowledgeBase, KnowledgeBaseConfig, SearchHit, SearchMode } from './types';
export type { IngestJob, IngestItem } from './repo';

const services = new WeakMap<Storage, KnowledgeService>();

/** The knowledge service for this storage (created on first use, shared by routes, runtime and CLI). */
export function knowledgeServiceFor(
  config: Pick<Config, 'dataDir' | 'providers' | 'httpAllowHosts'>,
  storage: Storage,
): KnowledgeService {
  let s = services.get(storage);
  if (!s) {
    s = new KnowledgeService({ config, storage });
    services.set(storage, s);
  }
  return s;
}

/**
 * The runtime's view (RunServices.knowledge): the same service, with knowledge errors
 * turned into NodeErrors that keep their code (`kb_not_found`, `kb_no_embedding_model`…);
 * embedding-provider failures are retryable.
 */
export function knowledgeSearchFor(
  config: Pick<Config, 'dataDir' | 'providers' | 'httpAllowHosts'>,
  storage: Storage,
): KnowledgeSearch {
  const svc = knowledgeServiceFor(config, storage);
  return {
    async search(kb, query, opts) {
      try {
        return await svc.search(kb, query, opts);
      } catch (err) {
        if (!(err instanceof KnowledgeError)) throw err;
        throw new NodeError(`kb_${err.code}`, err.message, { retryable: err.code === 'embedding_failed', cause: err });
      }
    },
  };
}
