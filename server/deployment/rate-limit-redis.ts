/**
 * A token bucket shared by every API process through Redis (used when REDIS_URL is set):
 * one hash per key holding tokens and the last refill time, updated atomically by a Lua
 * script that reads Redis's own clock, so processes with skewed clocks agree. If Redis
 * cannot be reached the call is decided by the process's in-memory bucket instead
 * (fail open to a per-process limit, never to no limit and never to an outage).
 *
 * A Redis that hangs (stopped, overloaded, a half-open connection) is treated like one
 * that is down: every command has a deadline (`REDIS_COMMAND_TIMEOUT_MS`), and after a
 * failure calls skip Redis for `REDIS_RETRY_AFTER_MS` instead of each waiting again.
 */
import { Redis } from 'ioredis';
import { TokenBucketLimiter, type RateDecision, type RateLimit } from './rate-limit';

const SCRIPT = `
local capacity = tonumber(ARGV[1])
local perMs = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1])
local at = tonumber(b[2])
if tokens == nil or at == nil then tokens = capacity; at = now end
tokens = math.min(capacity, tokens + math.max(0, now - at) * perMs)
local ok = 0
if tokens >= 1 then tokens = tokens - 1; ok = 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local ttl = 60000
if perMs > 0 then ttl = math.ceil(capacity / perMs) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return { ok, tostring(tokens) }
`;

/** The longest a request waits for Redis before deciding without it. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** After a Redis failure, calls use the in-memory bucket for this long before trying Redis again. */
export const REDIS_RETRY_AFTER_MS = 5_000;

export class RedisTokenBucket {
  private readonly redis: Redis;
  private readonly local = new TokenBucketLimiter();
  /** Start-up: calls wait briefly for the first connection; after an outage they fall back at once. */
  private startingUp = true;
  /** Until when Redis is skipped after a failure (epoch ms). */
  private downUntil = 0;

  constructor(
    url: string,
    private readonly opts: { prefix?: string; onError?: (err: unknown) => void } = {},
  ) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    });
    this.redis.on('error', (err: unknown) => this.opts.onError?.(err));
    this.redis.once('ready', () => (this.startingUp = false));
    setTimeout(() => (this.startingUp = false), 2_000).unref();
    this.redis.defineCommand('braidTakeToken', { numberOfKeys: 1, lua: SCRIPT });
  }

  async take(key: string, limit: RateLimit): Promise<RateDecision> {
    const capacity = Math.max(1, limit.burst);
    const perMs = Math.max(0, limit.requestsPerMinute) / 60_000;
    if (Date.now() < this.downUntil) return this.local.take(key, limit);
    try {
      if (this.redis.status !== 'ready') await this.ready();
      const call = (
        this.redis as unknown as { braidTakeToken(k: string, c: number, p: number): Promise<[number, string]> }
      ).braidTakeToken;
      const [ok, left] = await call.call(this.redis, `${this.opts.prefix ?? 'braid:rl:'}${key}`, capacity, perMs);
      const tokens = Number(left);
      if (ok === 1) return { ok: true, remaining: Math.floor(tokens), retryAfterMs: 0 };
      return { ok: false, remaining: 0, retryAfterMs: perMs > 0 ? Math.ceil((1 - tokens) / perMs) : 60_000 };
    } catch (err) {
      this.downUntil = Date.now() + REDIS_RETRY_AFTER_MS;
      this.opts.onError?.(err);
      return this.local.take(key, limit);
    }
  }

  /** Wait briefly for the connection (start-up, reconnects); throws to fall back. */
  private ready(): Promise<void> {
    if (!this.startingUp || this.redis.status === 'end' || this.redis.status === 'close')
      return Promise.reject(new Error(`redis ${this.redis.status}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.redis.off('ready', onReady);
        reject(new Error('redis not ready'));
      }, 250);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.redis.once('ready', onReady);
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
