/**
 * Aggregates of per-row metric values: mean, median, p95 (linear interpolation, as
 * numpy.percentile's default), pass rate, histogram, and a 95% percentile-bootstrap
 * confidence interval of the mean; a paired bootstrap for the difference of two
 * evaluations over the same rows. The RNG is seeded so results are reproducible.
 */

/** mulberry32: a small, fast, seedable PRNG (returns [0, 1)). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** numpy.percentile(values, q) with the default 'linear' method; values need not be sorted. */
export function percentile(values: ArrayLike<number>, q: number): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const pos = (q / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function mean(values: ArrayLike<number>): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

function resamples(n: number): number {
  return n > 20_000 ? 300 : 1000;
}

/** 95% percentile-bootstrap CI of the mean. */
export function bootstrapMeanCI(
  values: ArrayLike<number>,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): [number, number] | null {
  const n = values.length;
  if (n === 0) return null;
  if (n === 1) return [values[0], values[0]];
  const B = opts.resamples ?? resamples(n);
  const r = rng(opts.seed ?? 0x5eed);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(r() * n)];
    means[b] = s / n;
  }
  const alpha = (1 - (opts.level ?? 0.95)) / 2;
  return [percentile(means, alpha * 100) as number, percentile(means, (1 - alpha) * 100) as number];
}

export interface PairedResult {
  delta: number | null;
  ci95: [number, number] | null;
  /** True when the CI excludes 0. */
  significant: boolean;
  pairs: number;
}

/** Paired bootstrap of mean(b − a) over aligned rows. */
export function pairedBootstrap(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  opts: { resamples?: number; seed?: number } = {},
): PairedResult {
  const n = Math.min(a.length, b.length);
  if (n === 0) return { delta: null, ci95: null, significant: false, pairs: 0 };
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = b[i] - a[i];
  const delta = mean(d) as number;
  const ci = bootstrapMeanCI(d, opts) as [number, number];
  const significant = n > 1 && (ci[0] > 0 || ci[1] < 0);
  return { delta, ci95: ci, significant, pairs: n };
}

export function histogram(values: ArrayLike<number>, bins = 20): Array<{ from: number; to: number; count: number }> {
  if (values.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  if (min === max) return [{ from: min, to: max, count: values.length }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) counts[Math.min(bins - 1, Math.floor((values[i] - min) / width))]++;
  return counts.map((count, i) => ({ from: min + i * width, to: i === bins - 1 ? max : min + (i + 1) * width, count }));
}

export interface NumberSummary {
  count: number;
  mean: number | null;
  median: number | null;
  p95: number | null;
  min: number | null;
  max: number | null;
  ci95: [number, number] | null;
}

export function summarize(values: ArrayLike<number>): NumberSummary {
  const n = values.length;
  return {
    count: n,
    mean: mean(values),
    median: percentile(values, 50),
    p95: percentile(values, 95),
    min: n ? Math.min(...Array.from(values)) : null,
    max: n ? Math.max(...Array.from(values)) : null,
    ci95: bootstrapMeanCI(values),
  };
}
