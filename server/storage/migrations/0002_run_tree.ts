import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Runs as trees: a child run (started by a subflow, map, loop or agent node) is a run of
 * its own, linked to the run and node that started it, its item / iteration index and the
 * root run of its tree. Root runs have NULL there. Children are paged by
 * (parent_run_id, parent_node_id, iteration).
 */
export const runTree: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('runs').addColumn('parent_run_id', 'text').execute();
    await db.schema.alterTable('runs').addColumn('parent_node_id', 'text').execute();
    await db.schema.alterTable('runs').addColumn('iteration', 'integer').execute();
    await db.schema.alterTable('runs').addColumn('root_run_id', 'text').execute();
    await db.schema
      .createIndex('runs_parent')
      .on('runs')
      .columns(['parent_run_id', 'parent_node_id', 'iteration'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropIndex('runs_parent').ifExists().execute();
    for (const c of ['root_run_id', 'iteration', 'parent_node_id', 'parent_run_id'])
      await db.schema.alterTable('runs').dropColumn(c).execute();
  },
};
