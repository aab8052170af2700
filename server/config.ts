/**
 * The one place that reads process.env. Config is parsed and checked once at boot;
 * everything else receives a Config object.
 */
import path from 'node:path';
import { z } from 'zod';

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  BRAID_FLOWS_DIR: z.string().default('./flows'),
  BRAID_DATA_DIR: z.string().default('./.braid'),
  DATABASE_URL: z.string().optional(),
  /** Redis: deployment rate limits shared by processes; evaluation rows become BullMQ jobs for workers (docs/evaluation.md#scale-out). */
  REDIS_URL: z.string().optional(),
  /** With REDIS_URL: `braid serve` also runs evaluation rows itself (an embedded `braid worker`); 0 on dedicated API nodes. */
  BRAID_EVAL_INPROCESS_WORKER: z
    .string()
    .regex(/^(1|0|true|false|on|off|yes|no)$/i, 'expected 1/0 (true/false, on/off, yes/no)')
    .default('1')
    .transform((v) => /^(1|true|on|yes)$/i.test(v)),
  /** Rows in flight in that embedded worker (like `braid worker --concurrency`). */
  BRAID_EVAL_INPROCESS_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(8),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  OLLAMA_BASE_URL: z.string().url().optional(),
  BRAID_ADMIN_TOKEN: z
    .string()
    .min(16, 'BRAID_ADMIN_TOKEN must be at least 16 characters')
    .regex(/^\S+$/, 'must not contain spaces or line breaks (a bearer token is one word)')
    .optional(),
  /** Failed authentication attempts per minute per client address before 429 (0 = no throttle). */
  BRAID_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(60),
  /** Comma-separated host names the http tool may reach even when they resolve to private addresses. */
  BRAID_HTTP_ALLOW_HOSTS: z.string().default(''),
  BRAID_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BRAID_BODY_LIMIT: z.string().default('1mb'),
  /** Total bytes of one multipart knowledge upload (all files together), e.g. `200mb`. */
  BRAID_UPLOAD_LIMIT: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(b|kb|mb|gb)?\s*$/i, 'a size such as 200mb, 512kb or 1048576')
    .default('200mb'),
  BRAID_NODE_TIMEOUT_MS: z.coerce.number().int().min(1).default(60_000),
  /** Node executions one run tree (a run and the child runs of its subflow, map and loop nodes) may start. */
  BRAID_MAX_TREE_NODES: z.coerce.number().int().min(1).default(10_000),
  /** A model stream with no data for this long after it started fails as `stream_stalled` (retryable). */
  BRAID_STREAM_STALL_MS: z.coerce.number().int().min(100).default(30_000),
  BRAID_PUBLIC_URL: z.string().url().optional(),
  /** OpenTelemetry trace export (docs/monitoring.md#opentelemetry): off unless one of the two endpoints is set. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .string()
    .url()
    .regex(/^https?:\/\//i, 'expected an http(s) URL')
    .optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z
    .string()
    .url()
    .regex(/^https?:\/\//i, 'expected an http(s) URL')
    .optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .regex(/^\s*[^=,\s]+\s*=[^,]*(,\s*[^=,\s]+\s*=[^,]*)*,?\s*$/, 'expected key=value pairs separated by commas')
    .optional(),
  OTEL_SERVICE_NAME: z.string().default('braid'),
  /** Characters of a run's or node's inputs and outputs sent as span attributes (0: none). */
  BRAID_OTEL_CONTENT_MAX_CHARS: z.coerce.number().int().min(0).max(1_000_000).default(4096),
  /** 1: let LangChain send traces to LangSmith when LANGSMITH_TRACING… asks for it (off otherwise). */
  BRAID_LANGSMITH_TRACING: z
    .string()
    .regex(/^(1|0|true|false|on|off|yes|no)$/i, 'expected 1/0 (true/false, on/off, yes/no)')
    .default('0')
    .transform((v) => /^(1|true|on|yes)$/i.test(v)),
  /** A JSON file of MCP servers (`mcpServers`, as in Claude Desktop / Cursor) that agent nodes may use by name. */
  BRAID_MCP_CONFIG: z.string().optional(),
  /** Durable runs: how long a process's claim on a running run lasts without a heartbeat (another process resumes it after). */
  BRAID_RUN_LEASE_MS: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** Durable runs: how often overdue tasks and runs whose process died are looked for. */
  BRAID_DURABLE_SWEEP_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** Completion webhooks of deployed runs: the first retry delay (doubles per attempt, at most 8 attempts). */
  BRAID_WEBHOOK_RETRY_MS: z.coerce.number().int().min(10).max(3_600_000).default(5_000),
});

/** Every environment variable Braid reads (docs/configuration.md documents each; a test checks). */
export const ENV_VARS = Object.keys(envSchema.shape) as Array<keyof typeof envSchema.shape>;

export interface Config {
  port: number;
  host: string;
  flowsDir: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /**
   * Scale-out (REDIS_URL): whether API processes also consume evaluation row jobs with an
   * embedded worker (default true; BRAID_EVAL_INPROCESS_WORKER), and its concurrency (default 8).
   */
  evalInProcessWorker?: boolean;
  evalInProcessConcurrency?: number;
  providers: {
    openai: { apiKey?: string; baseUrl?: string };
    anthropic: { apiKey?: string; baseUrl?: string };
    ollama: { baseUrl?: string };
  };
  adminToken?: string;
  /** Failed auth attempts per minute per client address before 429 (BRAID_AUTH_FAILURE_LIMIT; default 60, 0 = off). */
  authFailuresPerMinute?: number;
  httpAllowHosts: string[];
  logLevel: z.output<typeof envSchema>['BRAID_LOG_LEVEL'];
  bodyLimit: string;
  /** Total bytes of one knowledge upload request (BRAID_UPLOAD_LIMIT; default 200 MiB). */
  uploadLimitBytes?: number;
  nodeTimeoutMs: number;
  /** Budget of node executions per run tree (BRAID_MAX_TREE_NODES; default 10 000). */
  maxTreeNodes?: number;
  /** Stall deadline of model streams, ms (prompt executor; default 30 000). */
  streamStallMs?: number;
  publicUrl?: string;
  /** BRAID_MCP_CONFIG: the MCP servers file (server/mcp/config.ts reads it at boot). */
  mcpConfigPath?: string;
  /** Whether LangChain may trace to LangSmith (BRAID_LANGSMITH_TRACING; default false). */
  langsmithTracing?: boolean;
  /** OpenTelemetry trace export; absent when off (no OTLP endpoint configured). */
  telemetry?: TelemetryConfig;
  /** Durable runs (docs/human-in-the-loop.md): lease of a running run (default 30 s) and sweep interval (default 10 s). */
  runLeaseMs?: number;
  durableSweepMs?: number;
  /** First retry delay of a run's completion webhook (default 5 s; doubles per attempt). */
  webhookRetryMs?: number;
}

export interface TelemetryConfig {
  /** Full OTLP/HTTP traces URL (`…/v1/traces`). */
  tracesUrl: string;
  /** Extra request headers (authentication of hosted backends). */
  headers: Record<string, string>;
  serviceName: string;
  /** Characters of inputs/outputs per attribute; 0 = inputs and outputs are not sent. */
  maxContentChars: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parse config from an environment (process.env by default) plus explicit overrides. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Config> = {},
): Config {
  // An admin token that is set but blank would read as "no auth": refuse it instead.
  const rawToken = env.BRAID_ADMIN_TOKEN;
  if (rawToken !== undefined && rawToken.trim() === '')
    throw new ConfigError(
      'invalid environment:\n  BRAID_ADMIN_TOKEN: is set but empty; set a token of 16+ characters, or unset the variable to run without one (loopback only)',
    );
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const res = envSchema.safeParse(cleaned);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = res.data;
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    flowsDir: path.resolve(e.BRAID_FLOWS_DIR),
    dataDir: path.resolve(e.BRAID_DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    evalInProcessWorker: e.BRAID_EVAL_INPROCESS_WORKER,
    evalInProcessConcurrency: e.BRAID_EVAL_INPROCESS_CONCURRENCY,
    providers: {
      openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
      anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
      ollama: { baseUrl: e.OLLAMA_BASE_URL },
    },
    adminToken: e.BRAID_ADMIN_TOKEN,
    authFailuresPerMinute: e.BRAID_AUTH_FAILURE_LIMIT,
    httpAllowHosts: e.BRAID_HTTP_ALLOW_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    logLevel: e.BRAID_LOG_LEVEL,
    bodyLimit: e.BRAID_BODY_LIMIT,
    uploadLimitBytes: sizeBytes(e.BRAID_UPLOAD_LIMIT),
    nodeTimeoutMs: e.BRAID_NODE_TIMEOUT_MS,
    maxTreeNodes: e.BRAID_MAX_TREE_NODES,
    streamStallMs: e.BRAID_STREAM_STALL_MS,
    publicUrl: e.BRAID_PUBLIC_URL,
    telemetry: telemetryConfig(e),
    langsmithTracing: e.BRAID_LANGSMITH_TRACING,
    runLeaseMs: e.BRAID_RUN_LEASE_MS,
    durableSweepMs: e.BRAID_DURABLE_SWEEP_MS,
    webhookRetryMs: e.BRAID_WEBHOOK_RETRY_MS,
    ...(e.BRAID_MCP_CONFIG ? { mcpConfigPath: path.resolve(e.BRAID_MCP_CONFIG) } : {}),
    ...overrides,
  };
  if (!isLoopbackHost(config.host) && !config.adminToken) {
    throw new ConfigError(
      `refusing to bind ${config.host}: set BRAID_ADMIN_TOKEN to expose Braid beyond this machine (the API then requires it as a bearer token)`,
    );
  }
  return config;
}

/**
 * The OTLP traces URL as the OpenTelemetry spec derives it: the traces-specific variable as
 * is, else `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. Undefined (export off) when neither is set.
 */
function telemetryConfig(e: z.output<typeof envSchema>): TelemetryConfig | undefined {
  const base = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl =
    e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!tracesUrl) return undefined;
  const headers: Record<string, string> = {};
  for (const pair of (e.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // not percent-encoded: keep as written
    }
    headers[key] = value;
  }
  return { tracesUrl, headers, serviceName: e.OTEL_SERVICE_NAME, maxContentChars: e.BRAID_OTEL_CONTENT_MAX_CHARS };
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Bytes of a size such as `200mb`, `512kb` or `1048576` (already checked by the schema). */
function sizeBytes(size: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(size)!;
  return Math.floor(Number(m[1]) * SIZE_UNITS[(m[2] ?? 'b').toLowerCase()]!);
}

export function isLoopbackHost(host: string): boolean {
  // an IPv4 literal in 127/8, not any name that merely starts with "127." (127.0.0.1.example.com)
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * The variables with which LangChain turns on LangSmith tracing by itself (it reads them from
 * process.env on every model call and then sends prompts and outputs, unredacted, to
 * LANGSMITH_ENDPOINT).
 */
export const LANGSMITH_TRACING_VARS = [
  'LANGSMITH_TRACING_V2',
  'LANGCHAIN_TRACING_V2',
  'LANGSMITH_TRACING',
  'LANGCHAIN_TRACING',
] as const;

/**
 * Third-party tracing is off unless Braid's own setting asks for it: without
 * BRAID_LANGSMITH_TRACING=1, every LANGSMITH_TRACING… variable set in the environment is
 * set to "false" (the only way LangChain offers to turn its tracer off). Called where chat
 * models are made, so every entry point (server, CLI, worker) gets it. Returns the
 * variables it turned off.
 */
export function applyThirdPartyTracing(
  config: Pick<Config, 'langsmithTracing'>,
  env: Record<string, string | undefined> = process.env,
): string[] {
  if (config.langsmithTracing) return [];
  const off: string[] = [];
  for (const v of LANGSMITH_TRACING_VARS) {
    if (env[v] !== undefined && env[v] !== 'false') {
      env[v] = 'false';
      off.push(v);
    }
  }
  return off;
}
