import type { Kysely } from 'kysely';
import type { Migration } from './index';

/** Core tables: runs (one row per flow run, the whole trace as JSON). */
export const coreRuns: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      /** running | succeeded | failed | cancelled */
      .addColumn('status', 'text', (c) => c.notNull())
      /** api | cli | node (single-node debug) | deployment | evaluation … */
      .addColumn('source', 'text', (c) => c.notNull().defaultTo('api'))
      /** Set for single-node debug runs. */
      .addColumn('node_id', 'text')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('duration_ms', 'bigint')
      .addColumn('inputs', 'text', (c) => c.notNull())
      .addColumn('outputs', 'text')
      .addColumn('error', 'text')
      .addColumn('prompt_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('completion_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('total_tokens', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('cost', 'double precision')
      .addColumn('trace', 'text')
      .execute();
    await db.schema.createIndex('runs_flow_started').on('runs').columns(['flow_id', 'started_at']).execute();
    await db.schema.createIndex('runs_started').on('runs').column('started_at').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('runs').execute();
  },
};
