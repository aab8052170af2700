import type { Kysely } from 'kysely';
import type { Migration } from './index';

/**
 * Evaluation domain: datasets with immutable versions and their rows, evaluations with
 * one result row per dataset row, and human reviews. Owned by server/datasets and
 * server/evaluation (table types in server/evaluation/tables.ts).
 */
export const evaluation: Migration = {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async up(db: Kysely<any>): Promise<void> {
    await db.schema
      .createTable('datasets')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('latest_version_id', 'text')
      .execute();
    await db.schema.createIndex('datasets_updated').on('datasets').column('updated_at').execute();

    await db.schema
      .createTable('dataset_versions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('dataset_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      /** importing | ready | failed */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('content_hash', 'text')
      /** csv | jsonl | rows (added programmatically) */
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('filename', 'text')
      .addColumn('row_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('bad_row_count', 'integer', (c) => c.notNull().defaultTo(0))
      /** JSON string[] */
      .addColumn('columns', 'text', (c) => c.notNull())
      /** JSON BadRow[] (first 100) */
      .addColumn('bad_rows', 'text', (c) => c.notNull())
      .addColumn('bytes', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('dataset_versions_dataset')
      .on('dataset_versions')
      .columns(['dataset_id', 'version'])
      .unique()
      .execute();
    await db.schema
      .createIndex('dataset_versions_hash')
      .on('dataset_versions')
      .columns(['dataset_id', 'content_hash'])
      .execute();

    await db.schema
      .createTable('dataset_rows')
      .addColumn('version_id', 'text', (c) => c.notNull())
      .addColumn('idx', 'integer', (c) => c.notNull())
      .addColumn('line', 'integer', (c) => c.notNull())
      /** JSON object */
      .addColumn('data', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('dataset_rows_pk', ['version_id', 'idx'])
      .execute();

    await db.schema
      .createTable('evaluations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('flow_id', 'text', (c) => c.notNull())
      /** JSON Flow: the flow as it was when the evaluation was created */
      .addColumn('flow_snapshot', 'text', (c) => c.notNull())
      .addColumn('dataset_id', 'text', (c) => c.notNull())
      .addColumn('dataset_version_id', 'text', (c) => c.notNull())
      /** JSON EvaluationConfig (mapping, expected column, metrics, concurrency) */
      .addColumn('config', 'text', (c) => c.notNull())
      /** queued | running | completed | failed | cancelled */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('total_rows', 'integer', (c) => c.notNull())
      .addColumn('done_rows', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('failed_rows', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('started_at', 'bigint')
      .addColumn('finished_at', 'bigint')
      /** Owner process id + heartbeat, so a restarted server can take over a run. */
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', 'bigint')
      .addColumn('error', 'text')
      /** JSON aggregates, written when the run ends */
      .addColumn('summary', 'text')
      .execute();
    await db.schema.createIndex('evaluations_created').on('evaluations').column('created_at').execute();
    await db.schema.createIndex('evaluations_status').on('evaluations').column('status').execute();

    await db.schema
      .createTable('evaluation_results')
      .addColumn('evaluation_id', 'text', (c) => c.notNull())
      .addColumn('row_idx', 'integer', (c) => c.notNull())
      /** succeeded | failed */
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('inputs', 'text', (c) => c.notNull())
      .addColumn('outputs', 'text')
      .addColumn('expected', 'text')
      /** JSON { [metric]: MetricScore } */
      .addColumn('metrics', 'text', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('trace', 'text')
      .addColumn('latency_ms', 'double precision')
      .addColumn('total_tokens', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('cost', 'double precision')
      .addColumn('error', 'text')
      .addColumn('finished_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('evaluation_results_pk', ['evaluation_id', 'row_idx'])
      .execute();

    await db.schema
      .createTable('evaluation_reviews')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('evaluation_id', 'text', (c) => c.notNull())
      .addColumn('row_idx', 'integer', (c) => c.notNull())
      /** thumbs | rating | pairwise */
      .addColumn('kind', 'text', (c) => c.notNull())
      /** thumbs: 0/1; rating: 1..5; pairwise: 1 when this evaluation's output was preferred, 0 otherwise, 0.5 tie */
      .addColumn('value', 'double precision', (c) => c.notNull())
      .addColumn('other_evaluation_id', 'text')
      .addColumn('comment', 'text')
      .addColumn('reviewer', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('evaluation_reviews_row')
      .on('evaluation_reviews')
      .columns(['evaluation_id', 'row_idx'])
      .execute();
  },
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  async down(db: Kysely<any>): Promise<void> {
    for (const t of [
      'evaluation_reviews',
      'evaluation_results',
      'evaluations',
      'dataset_rows',
      'dataset_versions',
      'datasets',
    ]) {
      await db.schema.dropTable(t).ifExists().execute();
    }
  },
};
