/**
 * Token-bucket rate limiting per API key, in process memory. Each key's bucket holds up
 * to `burst` tokens and refills at `requestsPerMinute / 60` tokens per second; a request
 * takes one token or is refused with the time until one is available (Retry-After).
 *
 * Scale-out: with several API processes behind a load balancer each process keeps its own
 * buckets, so the effective limit is multiplied by the number of processes. With
 * REDIS_URL set the shared RedisTokenBucket (rate-limit-redis.ts) is used instead, and
 * this class is its per-process fallback.
 */
export interface RateLimit {
  requestsPerMinute: number;
  burst: number;
}

export interface RateDecision {
  ok: boolean;
  /** Tokens left after this request. */
  remaining: number;
  /** When refused: ms until a token is available. */
  retryAfterMs: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private sweeps = 0;

  constructor(private readonly now: () => number = () => Date.now()) {}

  take(key: string, limit: RateLimit): RateDecision {
    const now = this.now();
    const capacity = Math.max(1, limit.burst);
    const perMs = Math.max(0, limit.requestsPerMinute) / 60_000;
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: capacity, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(capacity, b.tokens + (now - b.at) * perMs);
      b.at = now;
    }
    if (++this.sweeps >= 10_000) this.sweep(now, capacity, perMs);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true, remaining: Math.floor(b.tokens), retryAfterMs: 0 };
    }
    const retryAfterMs = perMs > 0 ? Math.ceil((1 - b.tokens) / perMs) : 60_000;
    return { ok: false, remaining: 0, retryAfterMs };
  }

  /** Forget buckets that have refilled completely (they behave like new ones). */
  private sweep(now: number, capacity: number, perMs: number): void {
    this.sweeps = 0;
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * perMs >= capacity) this.buckets.delete(k);
  }

  get size(): number {
    return this.buckets.size;
  }
}
