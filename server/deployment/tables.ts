/** Kysely table types of the deployment domain (migration 0300_deployment). */
import type { ColumnType, Kysely } from 'kysely';
import type { Storage } from '../storage/index';

export interface DeploymentsTable {
  slug: string;
  flow_id: string;
  live_version: number;
  latest_version: number;
  /** JSON DeploymentSettings */
  settings: string;
  created_at: number;
  updated_at: number;
  /** Key of the completion webhooks' HMAC-SHA256 signature (migration 0303; made on first use). */
  webhook_secret: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface DeploymentVersionsTable {
  slug: string;
  version: number;
  flow_id: string;
  /** JSON Flow */
  flow_snapshot: string;
  /** JSON { [flowId]: Flow }: the flows it calls (null: none). */
  flows_snapshot: string | null;
  note: string | null;
  evaluation_id: string | null;
  created_at: number;
}

export interface DeploymentKeysTable {
  id: string;
  slug: string;
  label: string;
  hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface RequestLogsTable {
  id: string;
  slug: string;
  version: number;
  api: string;
  status: string;
  http_status: number;
  latency_ms: number;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  cost: number | null;
  key_id: string | null;
  key_label: string | null;
  session_id: string | null;
  error_code: string | null;
  error_message: string | null;
  prompt_injection: number;
  inputs: string | null;
  outputs: string | null;
  trace: string | null;
  created_at: number;
  feedback_score: number | null;
  feedback_sentiment: number | null;
  feedback_comment: string | null;
  feedback_at: number | null;
}

export interface ConversationsTable {
  id: string;
  scope: string;
  /** the deployment key that owns it; null for the playground (`flow:<id>` scopes) */
  key_id: string | null;
  session_id: string;
  messages: string;
  updated_at: number;
}

export interface AlertRulesTable {
  id: string;
  slug: string | null;
  kind: string;
  threshold: number;
  window_ms: number;
  min_samples: number;
  webhook_url: string | null;
  cooldown_ms: number;
  enabled: number;
  created_at: number;
}

export interface AlertEventsTable {
  id: string;
  rule_id: string;
  slug: string;
  kind: string;
  value: number;
  threshold: number;
  message: string;
  delivery: string;
  delivery_error: string | null;
  created_at: number;
}

export type DeploymentTables = {
  deployments: DeploymentsTable;
  deployment_versions: DeploymentVersionsTable;
  deployment_keys: DeploymentKeysTable;
  request_logs: RequestLogsTable;
  conversations: ConversationsTable;
  alert_rules: AlertRulesTable;
  alert_events: AlertEventsTable;
};

export type DeployDb = Kysely<DeploymentTables>;

export function deployDb(storage: Storage): DeployDb {
  return storage.db.withTables<DeploymentTables>() as unknown as DeployDb;
}
