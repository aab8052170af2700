import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Evaluation domain: the evaluated flow's snapshot holds the flows it calls (subflow, map,
 * loop), by id, as JSON (NULL: it calls none); rows resolve child flows from it.
 */
export const evaluationFlows: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('evaluations').addColumn('flows_snapshot', 'text').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('evaluations').dropColumn('flows_snapshot').execute();
  },
};
