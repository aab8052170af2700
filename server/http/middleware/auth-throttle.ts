/**
 * Failed-auth throttling. Every answer `401` (a wrong or missing admin token, deployment
 * key or metrics token, whichever route refused it) takes one token from the client
 * address's failure bucket; a client whose bucket is empty gets `429` with `Retry-After`
 * on everything but the health check until it refills, without its credentials being
 * looked at (a right guess must not show through the throttle).
 *
 * Callers with valid credentials never take a token and cost nothing more than one
 * in-memory lookup: the shared bucket (Redis, when REDIS_URL is set) is only asked about
 * failures, and the block it decides is remembered in this process.
 *
 * The client address is the socket's (Braid does not trust X-Forwarded-For); IPv6
 * clients are counted per /64, the block an attacker usually holds. Memory is bounded:
 * at most `maxTracked` addresses are remembered, oldest first out.
 */
import type { ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sendError } from '../errors';
import { TokenBucketLimiter, type RateDecision, type RateLimit } from '../../deployment/rate-limit';
import { lowerPath } from './path';

/** Where failures are counted: in process memory, or shared through Redis. */
export interface FailureCounter {
  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision>;
}

export interface AuthThrottleOptions {
  /** Failed attempts per minute per client address (the bucket's burst as well); 0 = off. */
  failuresPerMinute: number;
  counter?: FailureCounter;
  /** Addresses remembered at most (blocks and in-memory buckets); default 50 000. */
  maxTracked?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

/** The key of a client address: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(a) !== 6) return a;
  const [head = '', tail = ''] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => String(parseInt(g || '0', 16).toString(16)))
    .join(':')}::/64`;
}

/** A small bounded cache (insertion order, oldest out). */
class Bounded<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }
  override set(key: string, value: V): this {
    if (this.has(key)) this.delete(key);
    else if (this.size >= this.max) this.delete(this.keys().next().value as string);
    return super.set(key, value);
  }
}

/** A per-process failure counter whose memory is bounded. */
export class LocalFailureCounter implements FailureCounter {
  private limiter: TokenBucketLimiter;
  constructor(
    private readonly maxTracked = 50_000,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.limiter = new TokenBucketLimiter(now);
  }
  take(key: string, limit: RateLimit): RateDecision {
    // The limiter forgets refilled buckets by itself; a flood of distinct addresses starts afresh.
    if (this.limiter.size >= this.maxTracked) this.limiter = new TokenBucketLimiter(this.now);
    return this.limiter.take(key, limit);
  }
}

export class AuthThrottle {
  private readonly blocked: Bounded<number>;
  /** Failures still being counted (a Redis round trip), so the next request of that address waits for the verdict. */
  private readonly counting = new Map<string, Promise<void>>();
  private readonly counter: FailureCounter;
  private readonly limit: RateLimit;
  private readonly now: () => number;

  constructor(private readonly opts: AuthThrottleOptions) {
    const max = opts.maxTracked ?? 50_000;
    this.now = opts.now ?? (() => Date.now());
    this.blocked = new Bounded(max);
    this.counter = opts.counter ?? new LocalFailureCounter(max, this.now);
    this.limit = { requestsPerMinute: opts.failuresPerMinute, burst: opts.failuresPerMinute };
  }

  get enabled(): boolean {
    return this.opts.failuresPerMinute > 0;
  }

  /** Ms until `key` may try again (0 = not blocked). */
  blockedFor(key: string): number {
    const until = this.blocked.get(key);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.blocked.delete(key);
    return Math.max(0, left);
  }

  /** Count one failed attempt of `key`; blocks it when its bucket is empty. */
  async fail(key: string): Promise<void> {
    let d: RateDecision;
    try {
      d = await this.counter.take(key, this.limit);
    } catch (err) {
      this.opts.onError?.(err);
      return;
    }
    if (!d.ok) this.blocked.set(key, this.now() + Math.max(1_000, d.retryAfterMs));
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      if (!this.enabled || isHealthCheck(req)) return next();
      const key = clientKey(req.socket.remoteAddress);
      const pending = this.counting.get(key);
      if (pending) void pending.then(() => this.decide(key, req, res, next));
      else this.decide(key, req, res, next);
    };
  }

  private decide(key: string, req: Request, res: Response, next: NextFunction): void {
    const wait = this.blockedFor(key);
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      res.setHeader('Retry-After', String(seconds));
      if (req.headers['content-length'] || req.headers['transfer-encoding']) res.setHeader('Connection', 'close');
      sendError(
        res,
        429,
        'too_many_auth_failures',
        `too many failed authentication attempts from this address; retry in ${seconds} s`,
        { retryAfterSeconds: seconds },
      );
      return;
    }
    this.watch(key, res);
    next();
  }

  /**
   * Whether a request of `key` may go ahead without waiting: not blocked and no failure of
   * it still being counted (the deployed endpoints' fast path leaves the others to Express,
   * whose middleware waits for the verdict or answers 429).
   */
  clear(key: string): boolean {
    return !this.enabled || (!this.counting.has(key) && this.blockedFor(key) === 0);
  }

  /** Count the response as a failed attempt of `key` if it ends 401. */
  watch(key: string, res: ServerResponse): void {
    if (!this.enabled) return;
    res.once('finish', () => {
      if (res.statusCode !== 401) return;
      const done = this.fail(key).finally(() => {
        if (this.counting.get(key) === done) this.counting.delete(key);
      });
      this.counting.set(key, done);
    });
  }
}

function isHealthCheck(req: Request): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && lowerPath(req.path).replace(/\/+$/, '') === '/api/health';
}
