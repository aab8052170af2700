import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Completion webhooks of deployed runs that paused (server/durable/webhooks.ts). In the
 * deployment range because it alters `deployments` (created by 0300; `0011_…` would run
 * before it on a fresh database).
 * - `deployments.webhook_secret`: the key of the HMAC-SHA256 signature (made on first use);
 * - `durable_runs.status_url`: the status URL the caller was given (the webhook repeats it);
 * - `webhook_deliveries`: one row per run to post, with its retry state, so a delivery
 *   due when the process stops is made by the next one.
 */
export const runWebhooks: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema.alterTable('deployments').addColumn('webhook_secret', 'text').execute();
    await db.schema.alterTable('durable_runs').addColumn('status_url', 'text').execute();
    await db.schema
      .createTable('webhook_deliveries')
      /** the run id: one delivery per run */
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      /** pending | delivered | failed */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('last_status', 'integer')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('delivered_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('webhook_deliveries_due')
      .on('webhook_deliveries')
      .columns(['status', 'next_attempt_at'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('webhook_deliveries').ifExists().execute();
    await db.schema.alterTable('durable_runs').dropColumn('status_url').execute();
    await db.schema.alterTable('deployments').dropColumn('webhook_secret').execute();
  },
};
