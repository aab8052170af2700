import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Evaluation domain (scale-out): a key/value table that holds this database's
 * installation id (`key = 'installation_id'`, written on first use by
 * server/evaluation/queue.ts). Every process on the same database derives the same
 * BullMQ queue prefix from it, so one Redis can serve several Braid installations and
 * a worker never takes jobs of a database it cannot see.
 */
export const installation: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('braid_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'text', (c) => c.notNull())
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('braid_meta').execute();
  },
};
