import { describe, expect, it } from 'vitest';
import { AdaptiveLimiter } from './limiter';

describe('AdaptiveLimiter (AIMD)', () => {
  it('halves on a rate limit, ignores limits during the pause, grows back by one per window of successes', async () => {
    const l = new AdaptiveLimiter(8);
    expect(l.limit).toBe(8);
    const pause = l.onRateLimit(30);
    expect(pause).toBe(30);
    expect(l.limit).toBe(4);
    expect(l.onRateLimit(30)).toBeLessThanOrEqual(30); // same congestion event
    expect(l.limit).toBe(4);
    const t0 = Date.now();
    await l.acquire();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25); // waited out the pause
    l.release();
    for (let i = 0; i < 4; i++) l.onSuccess();
    expect(l.limit).toBe(5);
    for (let i = 0; i < 100; i++) l.onSuccess();
    expect(l.limit).toBe(8); // never above the requested concurrency
  });

  it('never lets more than `limit` through and wakes waiters on release', async () => {
    const l = new AdaptiveLimiter(2);
    await l.acquire();
    await l.acquire();
    let third = false;
    const p = l.acquire().then(() => (third = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(third).toBe(false);
    l.release();
    await p;
    expect(third).toBe(true);
    expect(l.inFlight).toBe(2);
  });

  it('acquire rejects once the signal aborts', async () => {
    const l = new AdaptiveLimiter(1);
    await l.acquire();
    const c = new AbortController();
    const p = l.acquire(c.signal);
    c.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});
