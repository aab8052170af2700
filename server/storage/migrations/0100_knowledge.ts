import type { Kysely } from 'kysely';
import type { Migration } from './index';

/** Knowledge bases: their config, documents (chunks live in the LanceDB index) and ingest jobs. */
export const knowledge: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('knowledge_bases')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('dimensions', 'integer')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('knowledge_documents')
      .addColumn('kb', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      /** ingesting | ready | failed */
      .addColumn('status', 'text', (c) => c.notNull())
      /** The committed chunk generation in the index (null until the first commit). */
      .addColumn('gen', 'text')
      .addColumn('chunks', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('content_hash', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('error', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('knowledge_documents_pk', ['kb', 'id'])
      .execute();
    await db.schema
      .createIndex('knowledge_documents_kb_source')
      .on('knowledge_documents')
      .columns(['kb', 'source'])
      .execute();
    await db.schema
      .createTable('knowledge_jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kb', 'text', (c) => c.notNull())
      /** queued | running | succeeded | failed (every item failed) | cancelled */
      .addColumn('status', 'text', (c) => c.notNull())
      /** JSON IngestItem[] */
      .addColumn('items', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('knowledge_jobs_kb_created')
      .on('knowledge_jobs')
      .columns(['kb', 'created_at'])
      .execute();
    await db.schema.createIndex('knowledge_jobs_status').on('knowledge_jobs').column('status').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('knowledge_jobs').execute();
    await db.schema.dropTable('knowledge_documents').execute();
    await db.schema.dropTable('knowledge_bases').execute();
  },
};
