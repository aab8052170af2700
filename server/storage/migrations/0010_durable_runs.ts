import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Durable runs (server/durable): runs that may wait on people and survive restarts.
 * - `durable_runs`: one row per root run started durable (async mode, or a flow with a
 *   human node or approval-gated tool): the flow closure it runs (frozen at start), its
 *   inputs, status, a wake counter bumped by every decision, and a lease (owner + expiry)
 *   held by the process running it.
 * - `run_steps`: the journal: completed node results (and agent turns / tool results),
 *   keyed by their path in the run tree; a resumed run replays them instead of re-running.
 * - `tasks`: what people are asked (one per path of a run), with the decision.
 */
export const durableRuns: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('durable_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      .addColumn('flow_name', 'text', (c) => c.notNull())
      /** api | deployment | cli */
      .addColumn('source', 'text', (c) => c.notNull())
      /** JSON { flow, closure: Flow[] } */
      .addColumn('flow_snapshot', 'text', (c) => c.notNull())
      .addColumn('inputs', 'text', (c) => c.notNull())
      /** running | waiting | succeeded | failed | cancelled */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('wake', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('outputs', 'text')
      .addColumn('error', 'text')
      /** Deployed endpoint runs: who may read them, and where to post the result. */
      .addColumn('deployment_slug', 'text')
      .addColumn('deployment_version', 'integer')
      .addColumn('key_id', 'text')
      .addColumn('webhook_url', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('durable_runs_status').on('durable_runs').columns(['status', 'lease_until']).execute();

    await db.schema
      .createTable('run_steps')
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      /** JSON */
      .addColumn('entry', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('run_steps_pk', ['run_id', 'path'])
      .execute();

    await db.schema
      .createTable('tasks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('path', 'text', (c) => c.notNull())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      .addColumn('flow_name', 'text', (c) => c.notNull())
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('node_flow_id', 'text', (c) => c.notNull())
      .addColumn('item', 'integer')
      /** approval | input | tool */
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      /** JSON */
      .addColumn('fields', 'text')
      /** JSON { name, arguments, toolKind } */
      .addColumn('tool', 'text')
      /** pending | approved | rejected | timed_out | cancelled */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('on_timeout', 'text', (c) => c.notNull())
      /** JSON TaskDecision */
      .addColumn('decision', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('deadline', 'bigint')
      .addColumn('decided_at', 'bigint')
      .execute();
    await db.schema.createIndex('tasks_run_path').on('tasks').columns(['run_id', 'path']).unique().execute();
    await db.schema.createIndex('tasks_status').on('tasks').columns(['status', 'created_at']).execute();
    await db.schema.createIndex('tasks_deadline').on('tasks').columns(['status', 'deadline']).execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    await db.schema.dropTable('tasks').ifExists().execute();
    await db.schema.dropTable('run_steps').ifExists().execute();
    await db.schema.dropTable('durable_runs').ifExists().execute();
  },
};
