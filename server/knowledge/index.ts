/** Entry point of the knowledge domain: one KnowledgeService per open storage. */
import type { Config } from '../config';
import type { Storage } from '../storage/index';
import { KnowledgeService } from './service';

export { KnowledgeService } from './service';
export { KnowledgeError } from './types';
export type { KnowledgeBase, KnowledgeBaseConfig, SearchHit, SearchMode } from './types';
export type { IngestJob, IngestItem } from './repo';

const services = new WeakMap<Storage, KnowledgeService>();

/** The knowledge service for this storage (created on first use, shared by routes, runtime and CLI). */
export function knowledgeServiceFor(config: Pick<Config, 'dataDir' | 'providers' | 'httpAllowHosts'>, storage: Storage): KnowledgeService {
  let s = services.get(storage);
  if (!s) {
    s = new KnowledgeService({ config, storage });
    services.set(storage, s);
  }
  return s;
}
