/**
 * Deployment API types (server/http/routes/{deployments,endpoints,openai}.ts and the
 * client's deploy page both use these).
 */
import type { SnapshotDiff } from '../flow/diff';
import type { FlowIO } from '../flow/schema';
import type { RunUsage } from '../runtime/events';

/** Per-deployment settings (PATCH /api/deployments/:slug). */
export interface DeploymentSettings {
  /** Token bucket per API key: sustained rate and burst size. */
  rateLimit: { requestsPerMinute: number; burst: number };
  /** Whole-request deadline, ms (504 after it). */
  timeoutMs: number;
  /** Largest request body, bytes (413 above it). */
  maxBodyBytes: number;
  /** Browser origins allowed to call the endpoint (exact `scheme://host[:port]`, or `*`). */
  corsOrigins: string[];
  /** Request log rows older than this are deleted. */
  logRetentionDays: number;
  /** Mask e-mail addresses, phone and card numbers in logged inputs, outputs and traces. */
  redactPii: boolean;
  /** Conversation memory window (per sessionId / OpenAI `user`). */
  history: { maxMessages: number; maxTokens: number };
  /** Cap on each model call's reply (`max_tokens`): lowers a prompt node's own `maxTokens`; a chat request's `max_tokens` can lower it further, never raise it. */
  maxTokens: number;
  /**
   * Where to POST the outcome of a run that paused (its call answered 202), for calls that
   * give no `webhook` of their own; null: only calls that give one get a webhook.
   */
  webhookUrl: string | null;
}

export const DEFAULT_DEPLOYMENT_SETTINGS: DeploymentSettings = {
  rateLimit: { requestsPerMinute: 600, burst: 60 },
  timeoutMs: 60_000,
  maxBodyBytes: 1_048_576,
  corsOrigins: [],
  logRetentionDays: 30,
  redactPii: false,
  history: { maxMessages: 20, maxTokens: 4_000 },
  maxTokens: 16_384,
  webhookUrl: null,
};

/** Allowed range of each numeric setting (integers), checked by the server and the settings form. */
export const DEPLOYMENT_SETTING_LIMITS = {
  'rateLimit.requestsPerMinute': [1, 10_000_000],
  'rateLimit.burst': [1, 1_000_000],
  timeoutMs: [100, 3_600_000],
  maxBodyBytes: [1_024, 50 * 1_048_576],
  logRetentionDays: [1, 3_650],
  'history.maxMessages': [0, 1_000],
  'history.maxTokens': [0, 1_000_000],
} as const satisfies Record<string, readonly [number, number]>;

export interface DeploymentVersionInfo {
  version: number;
  flowId: string;
  createdAt: number;
  note: string | null;
  /** The evaluation that gated this version, if any. */
  evaluationId: string | null;
  inputs: FlowIO[];
  outputs: FlowIO[];
  /** Ids of the flows in this version's snapshot: the deployed flow first, then every flow it calls. */
  flows: string[];
}

export interface DeploymentInfo {
  slug: string;
  flowId: string;
  /** The version served by default (rollback changes it). */
  liveVersion: number;
  latestVersion: number;
  createdAt: number;
  updatedAt: number;
  /** Endpoint URL (`…/v1/endpoints/<slug>`). */
  url: string;
  settings: DeploymentSettings;
  /** Whether the flow can be called through /v1/chat/completions. */
  chat: boolean;
}

export interface DeploymentDetail extends DeploymentInfo {
  versions: DeploymentVersionInfo[];
  keys: ApiKeyInfo[];
}

/**
 * Response of POST /api/flows/:id/deployments: 201 when a new version was stored, 200 with
 * `unchanged: true` when the flow (with every flow it calls) equals the live version.
 */
export interface DeployResult {
  slug: string;
  /** The new version; when `unchanged`, the live version (nothing was stored). */
  version: number;
  url: string;
  /** The new key in clear text, shown once (null when no key was created). */
  apiKey: string | null;
  /** Ids of the flows in the snapshot: the deployed flow first, then every flow it calls. */
  flows: string[];
  /** Nothing to deploy: the live version already is this flow (moving nodes is not a change). */
  unchanged: boolean;
  /** The version that was live before this deploy (null on the first deploy of the slug). */
  previousVersion: number | null;
  /** What changed from `previousVersion` to `version` (null on the first deploy). */
  changes: SnapshotDiff | null;
}

/** GET /api/deployments/:slug/diff?from=&to= — what changed between two stored versions. */
export interface DeploymentDiff {
  slug: string;
  from: DeploymentVersionInfo;
  to: DeploymentVersionInfo;
  diff: SnapshotDiff;
  /** One line, e.g. "1 node changed, 1 edge added" ("no changes" when none). */
  summary: string;
}

export interface DeployRequest {
  /** Defaults to the flow id. */
  slug?: string;
  note?: string;
  /** Refuse unless this evaluation (of this very flow) completed and met every threshold. */
  gate?: { evaluationId: string; thresholds: string[] };
  /** Create a key even when the deployment already has one. */
  createKey?: boolean;
  keyLabel?: string;
  settings?: Partial<DeploymentSettings>;
}

export interface ApiKeyInfo {
  id: string;
  label: string;
  /** First characters of the key, to recognise it (`brd_ab12…`). */
  prefix: string;
  createdAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface EndpointResponse {
  outputs: Record<string, unknown>;
  traceId: string;
  usage: RunUsage;
}

/**
 * `cancelled`: the client went away before the answer (HTTP status 499 in the log; not an
 * error), or a paused run was cancelled. `waiting`: the call answered 202 and its run waits
 * for a person; the row takes the run's outcome when it ends (not an error).
 */
export type LogStatus = 'succeeded' | 'failed' | 'rejected' | 'cancelled' | 'waiting';

export interface RequestLogEntry {
  traceId: string;
  slug: string;
  version: number;
  /** endpoint | openai | playground */
  api: string;
  status: LogStatus;
  httpStatus: number;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  cost: number | null;
  keyLabel: string | null;
  sessionId: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: number;
  feedbackScore: number | null;
  feedbackComment: string | null;
  /** Feedback as good (1), bad (0) or neutral (0.5). */
  feedbackSentiment: number | null;
  promptInjection: boolean;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown> | null;
}

export interface LogPage {
  items: RequestLogEntry[];
  /** Pass as `before` for the next page; null at the end. */
  next: string | null;
}

export interface StatsBucket {
  /** Bucket start, epoch ms. */
  at: number;
  requests: number;
  /** Server errors (5xx): the flow failed or timed out. */
  errors: number;
  /** Client errors (4xx): bad inputs, bad key, rate limited. Not in `errors`. */
  clientErrors: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  tokens: number;
  cost: number;
}

export interface DeploymentStats {
  slug: string;
  from: number;
  to: number;
  bucketMs: number;
  totals: {
    requests: number;
    /** Server errors (5xx); `errorRate` = errors / requests (what `error_rate` alerts watch). */
    errors: number;
    errorRate: number;
    /** Client errors (4xx), kept apart from server errors. */
    clientErrors: number;
    clientErrorRate: number;
    p50: number | null;
    p95: number | null;
    p99: number | null;
    tokens: number;
    cost: number;
    requestsPerMinute: number;
    negativeFeedback: number;
    feedback: number;
    promptInjections: number;
  };
  buckets: StatsBucket[];
}

export type AlertKind =
  | 'error_rate'
  | 'client_error_rate'
  | 'p95_latency_ms'
  | 'cost_per_hour'
  | 'negative_feedback_rate'
  | 'prompt_injection';

export interface AlertRule {
  id: string;
  /** null = every deployment (evaluated per deployment). */
  slug: string | null;
  kind: AlertKind;
  /** Fires when the measured value is >= threshold. */
  threshold: number;
  windowMs: number;
  /** Rates need at least this many requests (or feedback items) in the window. */
  minSamples: number;
  webhookUrl: string | null;
  /** No second event for the same rule and deployment within this time. */
  cooldownMs: number;
  enabled: boolean;
  createdAt: number;
}

export interface AlertEvent {
  id: string;
  ruleId: string;
  slug: string;
  kind: AlertKind;
  value: number;
  threshold: number;
  message: string;
  createdAt: number;
  /** delivered | failed | none (no webhook) */
  delivery: string;
  deliveryError: string | null;
}
