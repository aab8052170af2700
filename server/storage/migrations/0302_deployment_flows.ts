import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Deployment domain: a version's snapshot holds the flows its flow calls (subflow, map,
 * loop), by id, as JSON (NULL: it calls none), so editing a called flow never changes it.
 */
export const deploymentFlows: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('deployment_versions').addColumn('flows_snapshot', 'text').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('deployment_versions').dropColumn('flows_snapshot').execute();
  },
};
