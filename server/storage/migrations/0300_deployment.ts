import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Deployment domain: deployments under a slug with immutable versions (flow snapshots),
 * API keys (hashed), request logs with feedback, conversation memory, alert rules and
 * alert events. Owned by server/deployment and server/monitoring (table types in
 * server/deployment/tables.ts).
 */
export const deployment: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('deployments')
      .addColumn('slug', 'text', (c) => c.primaryKey())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      .addColumn('live_version', 'integer', (c) => c.notNull())
      .addColumn('latest_version', 'integer', (c) => c.notNull())
      /** JSON DeploymentSettings */
      .addColumn('settings', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('deployments_flow').on('deployments').column('flow_id').execute();

    await db.schema
      .createTable('deployment_versions')
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      /** JSON Flow: the immutable snapshot this version serves */
      .addColumn('flow_snapshot', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('evaluation_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('deployment_versions_pk', ['slug', 'version'])
      .execute();

    await db.schema
      .createTable('deployment_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      /** sha256 hex of the key */
      .addColumn('hash', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    await db.schema.createIndex('deployment_keys_hash').on('deployment_keys').column('hash').unique().execute();
    await db.schema.createIndex('deployment_keys_slug').on('deployment_keys').column('slug').execute();

    await db.schema
      .createTable('request_logs')
      /** the run id (traceId) */
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      /** endpoint | openai | playground */
      .addColumn('api', 'text', (c) => c.notNull())
      /** succeeded | failed | rejected */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('http_status', 'integer', (c) => c.notNull())
      .addColumn('latency_ms', 'double precision', (c) => c.notNull())
      .addColumn('prompt_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('completion_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('total_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cost', 'double precision')
      .addColumn('key_id', 'text')
      .addColumn('key_label', 'text')
      .addColumn('session_id', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      /** integer 0/1: a validator flagged prompt injection */
      .addColumn('prompt_injection', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('inputs', 'text')
      .addColumn('outputs', 'text')
      .addColumn('trace', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('feedback_score', 'double precision')
      /** 1 good, 0 bad, 0.5 neutral */
      .addColumn('feedback_sentiment', 'double precision')
      .addColumn('feedback_comment', 'text')
      .addColumn('feedback_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('request_logs_slug_created')
      .on('request_logs')
      .columns(['slug', 'created_at'])
      .execute();
    await db.schema.createIndex('request_logs_created').on('request_logs').column('created_at').execute();

    await db.schema
      .createTable('conversations')
      /** `<scope>:<sessionId>`; scope is a deployment slug or `flow:<id>` (playground) */
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('session_id', 'text', (c) => c.notNull())
      /** JSON Array<{ role, content }> (already windowed) */
      .addColumn('messages', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('conversations_scope').on('conversations').columns(['scope', 'updated_at']).execute();

    await db.schema
      .createTable('alert_rules')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('slug', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('window_ms', 'bigint', (c) => c.notNull())
      .addColumn('min_samples', 'integer', (c) => c.notNull())
      .addColumn('webhook_url', 'text')
      .addColumn('cooldown_ms', 'bigint', (c) => c.notNull())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('alert_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('slug', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('delivery', 'text', (c) => c.notNull())
      .addColumn('delivery_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('alert_events_rule')
      .on('alert_events')
      .columns(['rule_id', 'slug', 'created_at'])
      .execute();
    await db.schema.createIndex('alert_events_created').on('alert_events').column('created_at').execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    for (const t of [
      'alert_events',
      'alert_rules',
      'conversations',
      'request_logs',
      'deployment_keys',
      'deployment_versions',
      'deployments',
    ]) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};
