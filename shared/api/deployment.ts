/**
 * Deployment API types (server/http/routes/{deployments,endpoints,openai}.ts and the
 * client's deploy page both use these).
 */
import { requiredOrType } from './errors';
import { z } from 'zod';
import type { SnapshotDiff } from '../flow/diff';
import type { FlowIO } from '../flow/schema';
import type { RunStatus, RunUsage, SpanError } from '../runtime/events';

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

export const ALERT_KINDS = [
  'error_rate',
  'client_error_rate',
  'p95_latency_ms',
  'cost_per_hour',
  'negative_feedback_rate',
  'prompt_injection',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

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

// ── request bodies (validated by the routes with parseBody: 400 invalid_body naming each path) ──

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;
/** Browser origins a deployment may allow: `scheme://host[:port]`, or `*`. */
const ORIGIN = /^https?:\/\/[^/\s]+$/;
/** A conversation's `sessionId` (endpoints, the OpenAI-compatible `user`, the chat playground). */
export const SESSION_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** A webhook URL (a deployment's completion webhook, an alert rule's): `webhookUrlProblem` says what is wrong. */
const webhookUrlSchema = z
  .string()
  .max(2_048)
  .superRefine((v, ctx) => {
    const problem = webhookUrlProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const settingInt = (key: keyof typeof DEPLOYMENT_SETTING_LIMITS) => {
  const [min, max] = DEPLOYMENT_SETTING_LIMITS[key];
  return z
    .number({ error: requiredOrType })
    .int(`must be an integer between ${min} and ${max}`)
    .min(min, `must be an integer between ${min} and ${max}`)
    .max(max, `must be an integer between ${min} and ${max}`);
};

/** A settings patch: only the settings to change; unknown settings are refused. */
export const deploymentSettingsPatchSchema = z
  .object({
    rateLimit: z
      .object({ requestsPerMinute: settingInt('rateLimit.requestsPerMinute'), burst: settingInt('rateLimit.burst') })
      .strict(),
    timeoutMs: settingInt('timeoutMs'),
    maxBodyBytes: settingInt('maxBodyBytes'),
    corsOrigins: z
      .array(z.string().refine((o) => o === '*' || ORIGIN.test(o), 'must be an origin (scheme://host[:port]) or "*"'))
      .max(100)
      .transform((list) => list.map((o) => o.toLowerCase())),
    logRetentionDays: settingInt('logRetentionDays'),
    redactPii: z.boolean(),
    history: z
      .object({ maxMessages: settingInt('history.maxMessages'), maxTokens: settingInt('history.maxTokens') })
      .strict(),
    maxTokens: z.number().int().min(1).max(1_000_000),
    /** Default completion webhook for calls of a run that pauses (null clears it). */
    webhookUrl: webhookUrlSchema.nullable(),
  })
  .partial()
  .strict();

/** Body of `POST /api/flows/:id/deployments` (all optional: `{}` deploys under the flow id). */
export const deployRequestSchema = z
  .object({
    /** Defaults to the flow id. */
    slug: z.string().max(64).regex(SLUG, 'must match [a-z0-9][a-z0-9_-]* (at most 64 characters)').optional(),
    note: z.string().max(2_000).optional(),
    /** Refuse unless this evaluation (of this very flow) completed and met every threshold. */
    gate: z
      .object({ evaluationId: z.string({ error: requiredOrType }).min(1), thresholds: z.array(z.string()).max(50) })
      .strict()
      .optional(),
    /** Create a key even when the deployment already has one. */
    createKey: z.boolean().optional(),
    keyLabel: z.string().max(200).optional(),
    settings: deploymentSettingsPatchSchema.optional(),
  })
  .strict();
export type DeployRequest = z.input<typeof deployRequestSchema>;

/** Body of `PATCH /api/deployments/:slug`. */
export const deploymentPatchSchema = z.object({ settings: deploymentSettingsPatchSchema }).strict();
export type DeploymentPatchRequest = z.input<typeof deploymentPatchSchema>;

/** Body of `POST /api/deployments/:slug/rollback`: the version to make live. */
export const rollbackRequestSchema = z
  .object({ version: z.number({ error: requiredOrType }).int().min(1, 'must be a version number (1, 2, …)') })
  .strict();
export type RollbackRequest = z.input<typeof rollbackRequestSchema>;

/** Body of `PATCH /api/deployments/:slug/versions/:version`: a note, or null to clear it. */
export const versionNoteRequestSchema = z
  .object({ note: z.string({ error: requiredOrType }).max(2_000).nullable() })
  .strict();
export type VersionNoteRequest = z.input<typeof versionNoteRequestSchema>;

/** Body of `POST /api/deployments/:slug/keys` (label default `key`). */
export const createKeyRequestSchema = z.object({ label: z.string().max(200).optional() }).strict();
export type CreateKeyRequest = z.input<typeof createKeyRequestSchema>;

/** Body of `PATCH /api/deployments/:slug/keys/:keyId`. */
export const keyLabelRequestSchema = z
  .object({ label: z.string({ error: requiredOrType }).trim().min(1, 'must not be empty').max(200) })
  .strict();
export type KeyLabelRequest = z.input<typeof keyLabelRequestSchema>;

/** `201` answer of `POST /api/deployments/:slug/keys`: the key in clear text, shown once. */
export interface CreatedKey {
  key: ApiKeyInfo;
  apiKey: string;
}

/**
 * Body of `POST /api/deployments/:slug/logs/:traceId/dataset`: the call's inputs plus
 * `expected` become a row of `datasetId`, or of the dataset named `datasetName` (created when missing).
 */
export const logToDatasetRequestSchema = z
  .object({
    /** The reference answer (any JSON; `null` too, but it must be present). */
    expected: z.unknown().refine((v) => v !== undefined, 'required (the reference answer for this call)'),
    expectedColumn: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'must be a column name')
      .optional(),
    datasetId: z.string().min(1).max(200).optional(),
    datasetName: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  })
  .strict()
  .refine((b) => b.datasetId !== undefined || b.datasetName !== undefined, {
    message: 'required: datasetId or datasetName',
    path: ['datasetId'],
  });
export type LogToDatasetRequest = z.input<typeof logToDatasetRequestSchema>;

/** Body of `POST /api/flows/:id/chat` (the builder's chat playground): one `message`, or OpenAI-style `messages`. */
export const playgroundChatRequestSchema = z
  .object({
    message: z.string().max(100_000).optional(),
    /** Each `{ role, content }` is checked as the OpenAI-compatible API checks it. */
    messages: z.array(z.unknown()).min(1).max(1_000).optional(),
    sessionId: z.string().regex(SESSION_ID, 'must be 1–128 characters of [A-Za-z0-9._:@-]').optional(),
  })
  .strict()
  .refine((b) => b.message !== undefined || b.messages !== undefined, {
    message: 'required: message or messages',
    path: ['message'],
  });
export type PlaygroundChatRequest = z.input<typeof playgroundChatRequestSchema>;

/** Answer of `POST /api/flows/:id/chat`. */
export interface PlaygroundChatResponse {
  /** The flow's answer; null when the run did not succeed. */
  reply: string | null;
  status: RunStatus;
  runId: string;
  usage: RunUsage;
  error: (SpanError & { nodeId?: string }) | null;
  history: Array<{ role: 'system' | 'user' | 'assistant'; content: string }>;
}

/**
 * A webhook URL given by a caller: http(s), at most 2 048 characters, no credentials.
 * Returns the problem (for a 400 with its path), or undefined when the URL is acceptable.
 * Where it points is checked at every delivery by the SSRF guard (DNS may change).
 */
export function webhookUrlProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length === 0) return 'must be an http(s) URL';
  if (v.length > 2048) return 'must be at most 2048 characters';
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return 'must be an http(s) URL';
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'must be an http(s) URL';
  if (u.username || u.password) return 'must not carry credentials (user:password@)';
  return undefined;
}

/** Body of `POST /api/alerts/rules` (defaults and the webhook's SSRF check: server/monitoring/alerts.ts). */
export const alertRuleRequestSchema = z
  .object({
    /** null or absent: every deployment. */
    slug: z.string().max(64).regex(SLUG, 'must be a deployment slug').nullable().optional(),
    kind: z.enum(ALERT_KINDS, { error: `must be one of ${ALERT_KINDS.join(', ')}` }),
    /** Fires when the measured value is >= threshold. */
    threshold: z.number({ error: requiredOrType }).min(0),
    windowMs: z
      .number()
      .int()
      .min(1_000)
      .max(7 * 86_400_000)
      .optional(),
    minSamples: z.number().int().min(1).optional(),
    webhookUrl: webhookUrlSchema.nullable().optional(),
    cooldownMs: z.number().int().min(0).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type AlertRuleRequest = z.input<typeof alertRuleRequestSchema>;

/** Body of `PATCH /api/alerts/rules/:id`: pause or resume a rule. */
export const alertRulePatchSchema = z.object({ enabled: z.boolean({ error: requiredOrType }) }).strict();
export type AlertRulePatchRequest = z.input<typeof alertRulePatchSchema>;
