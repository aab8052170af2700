/**
 * The deployment domain's per-app state, built once per AppContext and shared by the
 * deployment, endpoint, OpenAI-compatible and metrics routes: stores, the endpoint
 * runtime (caches, rate limiter), the request log writer, metrics, alerts, and timers for
 * retention and key last-use. Timers stop and the log is flushed when the app closes.
 */
import type { AppContext } from '../http/context';
import { AlertEngine } from '../monitoring/alerts';
import { EndpointMetrics } from '../monitoring/metrics';
import { computeStats } from '../monitoring/stats';
import type { DeploymentStats } from '../../shared/api/deployment';
import { ConversationStore } from './conversations';
import { EndpointRuntime } from './endpoint';
import { RequestLogStore } from './logs';
import { RedisTokenBucket } from './rate-limit-redis';
import { DeploymentService } from './service';

export interface DeploymentRuntime {
  service: DeploymentService;
  endpoints: EndpointRuntime;
  logs: RequestLogStore;
  conversations: ConversationStore;
  metrics: EndpointMetrics;
  alerts: AlertEngine;
  stats(slug: string, opts: { windowMs: number; bucketMs: number; now?: number }): Promise<DeploymentStats>;
  /** Delete request logs (and idle conversations) past each deployment's retention; returns log rows deleted. */
  prune(now?: number): Promise<number>;
  /** Base URL for endpoint links: BRAID_PUBLIC_URL, else the request's own origin. */
  baseUrl(reqOrigin: string): string;
  /**
   * Record the keys used since the last batch now (key use is written every 30 s off the
   * hot path; a view reading keys calls this first so it never shows a used key as unused).
   */
  flushKeyUse(): Promise<void>;
}

const runtimes = new WeakMap<AppContext, DeploymentRuntime>();

export function deploymentRuntime(ctx: AppContext): DeploymentRuntime {
  const existing = runtimes.get(ctx);
  if (existing) return existing;
  const { storage, logger } = ctx;
  const logs = new RequestLogStore(storage, {
    onError: (err) => logger.error({ err: (err as Error).message }, 'request log write failed'),
  });
  const conversations = new ConversationStore(storage);
  const metrics = new EndpointMetrics();
  // `endpoints` is declared below; the hook only runs after construction.
  const service = new DeploymentService(storage, { onChange: (slug) => endpoints.invalidate(slug) });
  // With REDIS_URL every API process shares the rate-limit buckets; otherwise they are per process.
  let warned = 0;
  const redisLimiter = ctx.config.redisUrl
    ? new RedisTokenBucket(ctx.config.redisUrl, {
        onError: (err) => {
          if (Date.now() - warned > 60_000)
            logger.warn({ err: (err as Error).message }, 'Redis rate limiter unavailable; limiting per process');
          warned = Date.now();
        },
      })
    : undefined;
  const endpoints: EndpointRuntime = new EndpointRuntime({
    store: service.store,
    logs,
    conversations,
    metrics,
    services: ctx.services,
    secrets: ctx.secrets,
    ...(redisLimiter ? { limiter: redisLimiter } : {}),
    ...(ctx.telemetry ? { telemetry: ctx.telemetry } : {}),
    childRuns: ctx.childRuns,
  });
  const alerts = new AlertEngine({
    storage,
    window: (slug, from, to) => logs.window(slug, from, to),
    slugs: async () => (await service.store.list()).map((d) => d.slug),
    allowHosts: ctx.config.httpAllowHosts,
    onError: (err) => logger.warn({ err: (err as Error).message }, 'alert evaluation failed'),
  });
  logs.onRecord((records) => {
    if (records.some((r) => r.status !== 'succeeded' || r.promptInjection)) alerts.nudge();
  });
  alerts.start();

  const rt: DeploymentRuntime = {
    service,
    endpoints,
    logs,
    conversations,
    metrics,
    alerts,
    async stats(slug, o) {
      const to = o.now ?? Date.now();
      const from = to - o.windowMs;
      const alignedFrom = Math.floor(from / o.bucketMs) * o.bucketMs;
      return computeStats(slug, await logs.window(slug, alignedFrom, to + 1), alignedFrom, to + 1, o.bucketMs);
    },
    async prune(now = Date.now()) {
      let n = 0;
      for (const d of await service.store.list()) {
        const cutoff = now - d.settings.logRetentionDays * 86_400_000;
        await ctx.runsRepo.deleteDeploymentChildren(d.slug, cutoff);
        n += await logs.prune(d.slug, cutoff);
        await conversations.prune(d.slug, cutoff);
      }
      return n;
    },
    baseUrl(reqOrigin) {
      return ctx.config.publicUrl ?? reqOrigin;
    },
    async flushKeyUse() {
      const ids = endpoints.drainTouched();
      if (ids.length)
        await service.store
          .touchKeys(ids, Date.now())
          .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'key last-use update failed'));
    },
  };

  const touch = setInterval(() => void rt.flushKeyUse(), 30_000);
  touch.unref();
  const retention = setInterval(() => {
    rt.prune().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'log retention failed'));
  }, 3_600_000);
  retention.unref();
  const firstPrune = setTimeout(() => void rt.prune().catch(() => undefined), 10_000);
  firstPrune.unref();
  ctx.onClose(async () => {
    clearInterval(touch);
    clearInterval(retention);
    clearTimeout(firstPrune);
    await alerts.stop();
    await redisLimiter?.close();
    const ids = endpoints.drainTouched();
    await logs.flush();
    if (ids.length) await service.store.touchKeys(ids, Date.now()).catch(() => undefined);
  });
  runtimes.set(ctx, rt);
  return rt;
}
