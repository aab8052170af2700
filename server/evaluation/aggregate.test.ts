import { describe, expect, it } from 'vitest';
import { bootstrapMeanCI, histogram, mean, pairedBootstrap, percentile, rng, summarize } from './aggregate';

describe('aggregates', () => {
  // numpy.percentile documentation example: a = [[10, 7, 4], [3, 2, 1]];
  // np.percentile(a, 50) → 3.5 (https://numpy.org/doc/stable/reference/generated/numpy.percentile.html)
  it('percentile matches numpy.percentile (linear) on its documented example', () => {
    expect(percentile([10, 7, 4, 3, 2, 1], 50)).toBe(3.5);
    // linear interpolation: p95 of 1..20 = 1 + 0.95 * 19 = 19.05
    expect(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        95,
      ),
    ).toBeCloseTo(19.05, 12);
    expect(percentile([], 50)).toBeNull();
  });

  it('bootstrap CI of the mean is close to the normal-theory interval for a large sample', () => {
    const r = rng(42);
    const xs = Array.from({ length: 2000 }, () => r());
    const m = mean(xs) as number;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / (xs.length - 1));
    const half = (1.96 * sd) / Math.sqrt(xs.length);
    const [lo, hi] = bootstrapMeanCI(xs) as [number, number];
    expect(lo).toBeLessThan(m);
    expect(hi).toBeGreaterThan(m);
    expect(Math.abs(hi - lo - 2 * half) / (2 * half)).toBeLessThan(0.15);
  });

  it('paired bootstrap flags a real difference and not noise', () => {
    const r = rng(7);
    const a = Array.from({ length: 300 }, () => (r() < 0.6 ? 1 : 0));
    const better = a.map((v) => (v === 0 && r() < 0.5 ? 1 : v));
    const res = pairedBootstrap(a, better);
    expect(res.delta).toBeGreaterThan(0.1);
    expect(res.significant).toBe(true);
    const same = pairedBootstrap(
      a,
      a.map((v) => v),
    );
    expect(same.delta).toBe(0);
    expect(same.significant).toBe(false);
    const noisy = a.map((v, i) => (i % 50 === 0 ? 1 - v : v));
    expect(pairedBootstrap(a, noisy).significant).toBe(false);
  });

  it('summary and histogram', () => {
    const s = summarize([1, 2, 3, 4]);
    expect(s).toMatchObject({ count: 4, mean: 2.5, median: 2.5, min: 1, max: 4 });
    expect(histogram([0, 0.5, 1], 2)).toEqual([
      { from: 0, to: 0.5, count: 1 },
      { from: 0.5, to: 1, count: 2 },
    ]);
  });
});
