/**
 * Adaptive concurrency for evaluation rows (AIMD, as TCP congestion control): start
 * at the requested concurrency, halve it and pause on a rate limit (honouring the
 * provider's Retry-After), and grow it back by one after every `limit` successes.
 */
export class AdaptiveLimiter {
  limit: number;
  private active = 0;
  private waiters: Array<() => void> = [];
  private pausedUntil = 0;
  private successes = 0;
  private consecutiveLimits = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly max: number,
    readonly min = 1,
  ) {
    this.limit = Math.max(min, max);
  }

  get inFlight(): number {
    return this.active;
  }

  /** Wait for a slot (respecting any pause). */
  async acquire(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const wait = this.pausedUntil - Date.now();
      if (wait <= 0 && this.active < this.limit) {
        this.active++;
        return;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          signal?.removeEventListener('abort', done);
          resolve();
        };
        this.waiters.push(done);
        if (wait > 0) this.wakeAt(this.pausedUntil);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  release(): void {
    this.active--;
    this.wake();
  }

  onSuccess(): void {
    this.consecutiveLimits = 0;
    if (this.limit >= this.max) return;
    if (++this.successes >= this.limit) {
      this.successes = 0;
      this.limit++;
      this.wake();
    }
  }

  /**
   * A rate limit: halve the concurrency and pause (Retry-After when given, else an
   * exponential backoff). Limits that arrive during a pause belong to the same
   * congestion event and change nothing. Returns the time to wait in ms.
   */
  onRateLimit(retryAfterMs?: number): number {
    const now = Date.now();
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.consecutiveLimits++;
    this.successes = 0;
    this.limit = Math.max(this.min, Math.floor(this.limit / 2));
    const backoff = Math.min(5_000, 100 * 2 ** Math.min(this.consecutiveLimits - 1, 6)) * (0.5 + Math.random() / 2);
    const pause = retryAfterMs !== undefined ? Math.max(retryAfterMs, 10) : backoff;
    this.pausedUntil = now + pause;
    return pause;
  }

  private wakeAt(at: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.wake();
      },
      Math.max(0, at - Date.now()),
    );
    this.timer.unref?.();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const fn of w) fn();
  }
}
