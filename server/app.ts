/**
 * The Express app: middleware in a fixed order (request id → logging → path check →
 * host/origin guards → auth → /api compression → JSON body → routes → 404 → errors), and a
 * server that tests start on port 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Express } from 'express';
import pino, { type Logger } from 'pino';
import { applyThirdPartyTracing, type Config } from './config';
import { FlowStore } from './flows/store';
import { RunService } from './flows/runs';
import { secretValues } from './flows/redact';
import type { AppContext } from './http/context';
import { errorMiddleware, notFoundJson } from './http/errors';
import { adminAuth } from './http/middleware/auth';
import { apiCompression } from './http/middleware/compress';
import { AuthThrottle } from './http/middleware/auth-throttle';
import { RedisTokenBucket } from './deployment/rate-limit-redis';
import { browserGuards } from './http/middleware/origin';
import { jsonBody } from './http/middleware/json';
import { requestLogging } from './http/middleware/logging';
import { isApiPath, normalisedPath } from './http/middleware/path';
import { requestId } from './http/middleware/request-id';
import { fastEndpoint } from './http/fast-endpoint';
import { acceptsRawBody, routeModules } from './http/routes/index';
import { staticRoutes } from './http/static';
import { buildRunServices } from './services';
import { createRunTelemetry } from './telemetry/index';
import { openStorage, type Storage } from './storage/index';
import { RunsRepository } from './storage/runs';
import { ChildRunWriter } from './flows/child-runs';
import { DurableRuns } from './durable/service';
import { DurableStore } from './durable/store';
import { RunWebhooks } from './durable/webhooks';
import { deploymentRuntime } from './deployment/runtime';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface CreateAppOptions {
  config: Config;
  storage: Storage;
  logger?: Logger;
  /** Built client directory (default `<repo>/dist/client`). */
  clientDir?: string;
}

export interface BraidApp {
  app: Express;
  /** The HTTP server's request listener: the deployed endpoints' fast path, then the app. */
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  context: AppContext;
  /** Cancel in-flight runs and run registered cleanups (does not close storage). */
  close(): Promise<void>;
}

/**
 * The process log (JSON lines on stdout). Lines are buffered and written asynchronously —
 * when 4 KiB are waiting or 100 ms after the first one — never with a synchronous write per
 * request; pino writes what is left synchronously when the process exits (normal exit,
 * SIGTERM/SIGINT shutdown, uncaught error). A process killed with SIGKILL (or a machine that
 * loses power) can lose the last 100 ms of log lines; the request log of deployed endpoints
 * is in the database (server/deployment/logs.ts), not here.
 */
export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  const options = {
    level: config.logLevel,
    base: { service: 'braid' },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.apiKey', '*.token'],
      censor: '[redacted]',
    },
  };
  if (config.logLevel === 'silent') return pino(options);
  return pino(options, pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }));
}

export function createApp(opts: CreateAppOptions): BraidApp {
  const { config, storage } = opts;
  const logger = opts.logger ?? createLogger(config);
  const secrets = secretValues(config);
  const flows = new FlowStore(config.flowsDir);
  const runsRepo = new RunsRepository(storage);
  const services = buildRunServices({ config, storage });
  const telemetry = createRunTelemetry(config, { logger, secrets });
  const childRuns = new ChildRunWriter(runsRepo, secrets, {
    onError: (err) => logger.error({ err: (err as Error).message }, 'child run write failed'),
  });
  const runService = new RunService({ flows, runs: runsRepo, services, secrets, logger, telemetry, childRuns });
  const durableStore = new DurableStore(storage);
  const webhooks = new RunWebhooks({
    storage,
    store: durableStore,
    allowHosts: config.httpAllowHosts,
    logger,
    ...(config.webhookRetryMs ? { retryMs: config.webhookRetryMs } : {}),
  });
  const durable = new DurableRuns({
    store: durableStore,
    runService,
    runs: runsRepo,
    logger,
    webhooks,
    // A deployed run that ended after its call answered: its request log row gets the outcome.
    onFinished: (run, result) => {
      if (run.deployment)
        void deploymentRuntime(context)
          .endpoints.recordFinished(run, result)
          .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'request log update failed'));
    },
    ...(config.runLeaseMs ? { leaseMs: config.runLeaseMs } : {}),
    ...(config.durableSweepMs ? { sweepMs: config.durableSweepMs } : {}),
  });
  // First in, so last out (cleanups run in reverse): child runs of rows and calls that end while closing are written.
  const cleanups: Array<() => Promise<void> | void> = [() => childRuns.flush()];
  const context: AppContext = {
    config,
    storage,
    logger,
    flows,
    runsRepo,
    runService,
    childRuns,
    durable,
    services,
    secrets,
    telemetry,
    onClose: (fn) => void cleanups.push(fn),
  };
  // MCP stdio servers are child processes: stop them with the app.
  if (services.mcp) cleanups.push(() => services.mcp?.close());

  const app = express();
  app.set('case sensitive routing', true);
  app.set('strict routing', false);
  app.set('x-powered-by', false);
  app.set('trust proxy', false);
  app.set('etag', false);
  app.set('query parser', 'simple');

  const throttle = authThrottle(config, logger, (fn) => cleanups.push(fn));
  const parseJson = jsonBody(config.bodyLimit, { acceptsRaw: acceptsRawBody });
  // One app layer for what every request goes through, in this order: each app.use layer
  // is a trip through the router (matching, bookkeeping, allocations) on every call.
  const everyRequest: Handler[] = [
    requestId(),
    requestLogging(logger),
    normalisedPath(),
    browserGuards(config),
    throttle.middleware(),
    adminAuth(config.adminToken),
    apiCompression(),
    (req, res, next) => (isApiPath(req.path) ? runAll(parseJson, req, res, next) : next()),
  ];
  app.use((req, res, next) => runAll(everyRequest, req, res, next));
  for (const mod of routeModules) app.use(mod(context));
  app.use(
    staticRoutes({
      clientDir: opts.clientDir ?? path.join(REPO_ROOT, 'dist', 'client'),
      flows,
      ...(config.adminToken ? { adminToken: config.adminToken } : {}),
    }),
  );
  app.use(notFoundJson);
  app.use(errorMiddleware({ logger, secrets }));

  // Overdue tasks and runs whose process died: looked for now and every BRAID_DURABLE_SWEEP_MS.
  durable.startSweeper();

  // Plain JSON calls of deployed endpoints skip Express (same code, same answers): the hot path.
  const fast = fastEndpoint(context, { logger, secrets, throttle });

  return {
    app,
    handler: (req, res) => {
      if (!fast(req, res)) app(req, res);
    },
    context,
    async close() {
      await durable.close();
      await runService.drain();
      await durable.idle();
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          logger.warn({ err: (err as Error).message }, 'cleanup failed');
        }
      }
      // Last: spans of runs that ended during the cleanups are exported too.
      await telemetry?.shutdown();
    },
  };
}

/** Failed-auth throttling, shared by every API process through Redis when REDIS_URL is set. */
function authThrottle(config: Config, logger: Logger, onClose: (fn: () => Promise<void>) => void): AuthThrottle {
  const failuresPerMinute = config.authFailuresPerMinute ?? 60;
  let warned = 0;
  const onError = (err: unknown): void => {
    if (Date.now() - warned > 60_000)
      logger.warn({ err: (err as Error).message }, 'Redis auth-failure counter unavailable; counting per process');
    warned = Date.now();
  };
  const shared =
    config.redisUrl && failuresPerMinute > 0
      ? new RedisTokenBucket(config.redisUrl, { prefix: 'braid:authfail:', onError })
      : undefined;
  if (shared) onClose(() => shared.close());
  return new AuthThrottle({ failuresPerMinute, onError, ...(shared ? { counter: shared } : {}) });
}

type Handler = (req: express.Request, res: express.Response, next: express.NextFunction) => void;

/**
 * Run a chain of middleware as one. A handler that throws goes to the error middleware, as
 * it would from its own app layer (a handler may call the next one from a callback, outside
 * Express's own try/catch).
 */
function runAll(chain: Handler[], req: express.Request, res: express.Response, next: express.NextFunction): void {
  let i = 0;
  const step = (err?: unknown): void => {
    if (err !== undefined && err !== null) return next(err);
    const h = chain[i++];
    if (!h) return next();
    try {
      h(req, res, step);
    } catch (e) {
      next(e);
    }
  };
  step();
}

export interface RunningServer {
  url: string;
  port: number;
  app: BraidApp;
  storage: Storage;
  close(): Promise<void>;
}

/**
 * Open storage, build the app and listen on config.host:config.port (0 = any free port).
 * `close()` stops accepting connections, cancels runs, and closes storage.
 */
export async function startServer(
  config: Config,
  opts: { logger?: Logger; storage?: Storage; clientDir?: string } = {},
): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config);
  const storage = opts.storage ?? (await openStorage(config));
  const ownsStorage = !opts.storage;
  const braid = createApp({ config, storage, logger, ...(opts.clientDir ? { clientDir: opts.clientDir } : {}) });
  // Runs left `running` by a process that died. On PostgreSQL other API processes may be
  // running theirs, so only old rows are touched there (a finishing run rewrites its row anyway).
  const abandonedBefore = storage.dialect === 'sqlite' ? Date.now() : Date.now() - 60 * 60_000;
  await braid.context.runsRepo.markAbandoned(abandonedBefore).catch(() => 0);
  // LangChain's own LangSmith tracing is off unless BRAID_LANGSMITH_TRACING=1 (docs/security.md).
  const tracingOff = applyThirdPartyTracing(config);
  if (tracingOff.length)
    logger.warn(
      { variables: tracingOff },
      'LangSmith tracing variables ignored: set BRAID_LANGSMITH_TRACING=1 to allow',
    );
  // Temp files of flow writes that a crash interrupted (the rename never came).
  const leftovers = await braid.context.flows.removeStaleTempFiles().catch((err: unknown) => {
    logger.warn({ err: (err as Error).message }, 'could not clean temp files in the flows folder');
    return [];
  });
  if (leftovers.length) logger.info({ files: leftovers }, 'removed temp files left by an interrupted flow write');
  const server = http.createServer(braid.handler);
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // runs and SSE streams may be long; nodes have their own timeouts
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${hostForUrl}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    app: braid,
    storage,
    close() {
      closing ??= (async () => {
        await braid.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2_000).unref();
        });
        if (ownsStorage) await storage.close();
      })();
      return closing;
    },
  };
}
