/** Knowledge metadata in the Braid database (tables from migration 0100_knowledge). */
import type { Kysely } from 'kysely';
import type { IngestItemInfo, IngestJobInfo } from '../../shared/api/knowledge';
import type { Storage } from '../storage/index';
import { fromJson, toJson } from '../storage/index';
import type { DocumentStatus, KnowledgeBase, KnowledgeBaseConfig, KnowledgeDocument } from './types';

type KnowledgeTables = {
  knowledge_bases: { name: string; config: string; dimensions: number | null; created_at: number; updated_at: number };
  knowledge_documents: {
    kb: string;
    id: string;
    source: string;
    kind: string;
    status: string;
    gen: string | null;
    chunks: number;
    bytes: number;
    content_hash: string;
    error: string | null;
    updated_at: number;
  };
  knowledge_jobs: { id: string; kb: string; status: string; items: string; created_at: number; updated_at: number };
};

export type ItemStatus = IngestItemInfo['status'];

/** An item as stored: the wire shape plus the staged copy of an uploaded file. */
export interface IngestItem extends IngestItemInfo {
  /** Staged copy of an uploaded file (deleted when the job ends); never sent to HTTP callers. */
  path?: string;
}

export type JobStatus = IngestJobInfo['status'];

export interface IngestJob extends Omit<IngestJobInfo, 'items'> {
  items: IngestItem[];
}

/**
 * A job as HTTP callers see it: without the staged copies' server paths (`path`), also
 * where an error message quotes one (the item's name stands in for it).
 */
export function publicJob(job: IngestJob): IngestJobInfo {
  return {
    ...job,
    items: job.items.map(({ path: staged, ...item }) =>
      staged && item.error
        ? { ...item, error: { ...item.error, message: item.error.message.split(staged).join(item.name) } }
        : item,
    ),
  };
}

export interface StoredDocument extends KnowledgeDocument {
  gen: string | null;
}

function jobOf(r: KnowledgeTables['knowledge_jobs']): IngestJob {
  const items = fromJson<IngestItem[]>(r.items, []);
  const finished = items.reduce((n, i) => n + (i.status === 'queued' ? 0 : i.status === 'running' ? i.progress : 1), 0);
  return {
    id: r.id,
    kb: r.kb,
    status: r.status as JobStatus,
    items,
    progress: items.length ? finished / items.length : 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function docOf(r: KnowledgeTables['knowledge_documents']): StoredDocument {
  return {
    id: r.id,
    kb: r.kb,
    source: r.source,
    kind: r.kind as 'file' | 'url',
    status: r.status as DocumentStatus,
    gen: r.gen,
    chunks: r.chunks,
    bytes: r.bytes,
    contentHash: r.content_hash,
    error: r.error,
    updatedAt: r.updated_at,
  };
}

export class KnowledgeRepo {
  private readonly db: Kysely<KnowledgeTables>;
  constructor(storage: Storage) {
    this.db = storage.db.withTables<KnowledgeTables>() as unknown as Kysely<KnowledgeTables>;
  }

  async insertKb(name: string, config: KnowledgeBaseConfig, dimensions: number | null): Promise<void> {
    const now = Date.now();
    await this.db
      .insertInto('knowledge_bases')
      .values({ name, config: toJson(config) ?? '{}', dimensions, created_at: now, updated_at: now })
      .execute();
  }

  async kbRow(
    name: string,
  ): Promise<
    { config: KnowledgeBaseConfig; dimensions: number | null; created_at: number; updated_at: number } | undefined
  > {
    const r = await this.db.selectFrom('knowledge_bases').selectAll().where('name', '=', name).executeTakeFirst();
    return r
      ? {
          config: fromJson<KnowledgeBaseConfig>(r.config),
          dimensions: r.dimensions,
          created_at: r.created_at,
          updated_at: r.updated_at,
        }
      : undefined;
  }

  async listKbs(): Promise<KnowledgeBase[]> {
    const kbs = await this.db.selectFrom('knowledge_bases').selectAll().orderBy('name').execute();
    const counts = await this.db
      .selectFrom('knowledge_documents')
      .select([
        'kb',
        (eb) => eb.fn.countAll<number>().as('documents'),
        (eb) => eb.fn.sum<number>('chunks').as('chunks'),
      ])
      .where('status', '=', 'ready')
      .groupBy('kb')
      .execute();
    const byKb = new Map(counts.map((c) => [c.kb, c]));
    return kbs.map((r) => ({
      name: r.name,
      config: fromJson<KnowledgeBaseConfig>(r.config),
      dimensions: r.dimensions,
      documents: Number(byKb.get(r.name)?.documents ?? 0),
      chunks: Number(byKb.get(r.name)?.chunks ?? 0),
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  }

  async touchKb(name: string): Promise<void> {
    await this.db.updateTable('knowledge_bases').set({ updated_at: Date.now() }).where('name', '=', name).execute();
  }

  async deleteKb(name: string): Promise<void> {
    await this.db.deleteFrom('knowledge_documents').where('kb', '=', name).execute();
    await this.db.deleteFrom('knowledge_jobs').where('kb', '=', name).execute();
    await this.db.deleteFrom('knowledge_bases').where('name', '=', name).execute();
  }

  async document(kb: string, id: string): Promise<StoredDocument | undefined> {
    const r = await this.db
      .selectFrom('knowledge_documents')
      .selectAll()
      .where('kb', '=', kb)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? docOf(r) : undefined;
  }

  async documents(kb: string): Promise<StoredDocument[]> {
    const rows = await this.db
      .selectFrom('knowledge_documents')
      .selectAll()
      .where('kb', '=', kb)
      .orderBy('source')
      .execute();
    return rows.map(docOf);
  }

  async upsertDocument(d: Omit<StoredDocument, 'updatedAt'>): Promise<void> {
    const row = {
      kb: d.kb,
      id: d.id,
      source: d.source,
      kind: d.kind,
      status: d.status,
      gen: d.gen,
      chunks: d.chunks,
      bytes: d.bytes,
      content_hash: d.contentHash,
      error: d.error,
      updated_at: Date.now(),
    };
    await this.db
      .insertInto('knowledge_documents')
      .values(row)
      .onConflict((oc) => oc.columns(['kb', 'id']).doUpdateSet({ ...row }))
      .execute();
  }

  async deleteDocument(kb: string, id: string): Promise<void> {
    await this.db.deleteFrom('knowledge_documents').where('kb', '=', kb).where('id', '=', id).execute();
  }

  async insertJob(id: string, kb: string, items: IngestItem[]): Promise<IngestJob> {
    const now = Date.now();
    const row = { id, kb, status: 'queued', items: toJson(items) ?? '[]', created_at: now, updated_at: now };
    await this.db.insertInto('knowledge_jobs').values(row).execute();
    return jobOf(row);
  }

  async updateJob(id: string, status: JobStatus, items: IngestItem[]): Promise<void> {
    await this.db
      .updateTable('knowledge_jobs')
      .set({ status, items: toJson(items) ?? '[]', updated_at: Date.now() })
      .where('id', '=', id)
      .execute();
  }

  async job(id: string): Promise<IngestJob | undefined> {
    const r = await this.db.selectFrom('knowledge_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? jobOf(r) : undefined;
  }

  async jobs(kb: string, limit = 50): Promise<IngestJob[]> {
    const rows = await this.db
      .selectFrom('knowledge_jobs')
      .selectAll()
      .where('kb', '=', kb)
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    return rows.map(jobOf);
  }

  async unfinishedJobs(): Promise<IngestJob[]> {
    const rows = await this.db
      .selectFrom('knowledge_jobs')
      .selectAll()
      .where('status', 'in', ['queued', 'running'])
      .orderBy('created_at')
      .execute();
    return rows.map(jobOf);
  }
}
