/** Kysely table types of the evaluation domain (migration 0200_evaluation). */
import type { Generated, Kysely } from 'kysely';
import type { Storage } from '../storage/index';

export interface DatasetsTable {
  id: string;
  name: string;
  description: string | null;
  created_at: number;
  updated_at: number;
  latest_version_id: string | null;
}

export interface DatasetVersionsTable {
  id: string;
  dataset_id: string;
  version: number;
  status: string;
  content_hash: string | null;
  format: string;
  source: string;
  filename: string | null;
  row_count: Generated<number>;
  bad_row_count: Generated<number>;
  columns: string;
  bad_rows: string;
  bytes: Generated<number>;
  created_at: number;
}

export interface DatasetRowsTable {
  version_id: string;
  idx: number;
  line: number;
  data: string;
}

export interface EvaluationsTable {
  id: string;
  name: string;
  flow_id: string;
  flow_snapshot: string;
  /** JSON { [flowId]: Flow }: the flows it calls (null: none). */
  flows_snapshot: string | null;
  dataset_id: string;
  dataset_version_id: string;
  config: string;
  status: string;
  total_rows: number;
  done_rows: Generated<number>;
  failed_rows: Generated<number>;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  error: string | null;
  summary: string | null;
}

export interface EvaluationResultsTable {
  evaluation_id: string;
  row_idx: number;
  status: string;
  inputs: string;
  outputs: string | null;
  expected: string | null;
  metrics: string;
  run_id: string | null;
  trace: string | null;
  latency_ms: number | null;
  total_tokens: Generated<number>;
  cost: number | null;
  error: string | null;
  finished_at: number;
}

export interface EvaluationReviewsTable {
  id: string;
  evaluation_id: string;
  row_idx: number;
  kind: string;
  value: number;
  other_evaluation_id: string | null;
  comment: string | null;
  reviewer: string | null;
  created_at: number;
}

export type EvaluationTables = {
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  dataset_rows: DatasetRowsTable;
  evaluations: EvaluationsTable;
  evaluation_results: EvaluationResultsTable;
  evaluation_reviews: EvaluationReviewsTable;
};

export type EvalDb = Kysely<EvaluationTables>;

export function evalDb(storage: Storage): EvalDb {
  return storage.db.withTables<EvaluationTables>() as unknown as EvalDb;
}
