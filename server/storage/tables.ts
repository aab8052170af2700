/** Kysely table types of the core domain (runs). Other domains declare their own. */
import type { Generated } from 'kysely';

export interface RunsTable {
  id: string;
  flow_id: string;
  status: string;
  source: Generated<string>;
  node_id: string | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  /** JSON */
  inputs: string;
  /** JSON */
  outputs: string | null;
  /** JSON SpanError & { nodeId? } */
  error: string | null;
  prompt_tokens: Generated<number>;
  completion_tokens: Generated<number>;
  total_tokens: Generated<number>;
  cost: number | null;
  /** JSON Trace */
  trace: string | null;
  /** Child runs: the run and node that started it, item / iteration index, root of the tree. */
  parent_run_id: string | null;
  parent_node_id: string | null;
  iteration: number | null;
  root_run_id: string | null;
}

export interface CoreTables {
  runs: RunsTable;
}
