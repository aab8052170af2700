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
  BRAID_ADMIN_TOKEN: z.string().min(16, 'BRAID_ADMIN_TOKEN must be at least 16 characters').optional(),
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
  /** A model stream with no data for this long after it started fails as `stream_stalled` (retryable). */
  BRAID_STREAM_STALL_MS: z.coerce.number().int().min(100).default(30_000),
  BRAID_PUBLIC_URL: z.string().url().optional(),
  /** A JSON file of MCP servers (`mcpServers`, as in Claude Desktop / Cursor) that agent nodes may use by name. */
  BRAID_MCP_CONFIG: z.string().optional(),
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
  httpAllowHosts: string[];
  logLevel: z.output<typeof envSchema>['BRAID_LOG_LEVEL'];
  bodyLimit: string;
  /** Total bytes of one knowledge upload request (BRAID_UPLOAD_LIMIT; default 200 MiB). */
  uploadLimitBytes?: number;
  nodeTimeoutMs: number;
  /** Stall deadline of model streams, ms (prompt executor; default 30 000). */
  streamStallMs?: number;
  publicUrl?: string;
  /** BRAID_MCP_CONFIG: the MCP servers file (server/mcp/config.ts reads it at boot). */
  mcpConfigPath?: string;
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
    httpAllowHosts: e.BRAID_HTTP_ALLOW_HOSTS.split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    logLevel: e.BRAID_LOG_LEVEL,
    bodyLimit: e.BRAID_BODY_LIMIT,
    uploadLimitBytes: sizeBytes(e.BRAID_UPLOAD_LIMIT),
    nodeTimeoutMs: e.BRAID_NODE_TIMEOUT_MS,
    streamStallMs: e.BRAID_STREAM_STALL_MS,
    publicUrl: e.BRAID_PUBLIC_URL,
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
