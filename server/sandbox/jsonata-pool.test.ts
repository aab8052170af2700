import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JsonataPool } from './jsonata-pool';
import { evaluateJsonata, JSONATA_LIMITS, testJsonata, warmJsonataPool } from '../runtime/jsonata';
import { NodeError } from '../runtime/types';

/** Run `fn` while a 10 ms interval ticks; report the longest gap between ticks. */
async function longestStall<T>(fn: () => Promise<T>): Promise<{ value: T | unknown; gapMs: number; ms: number }> {
  let last = performance.now();
  let gapMs = 0;
  const t = setInterval(() => {
    const now = performance.now();
    gapMs = Math.max(gapMs, now - last);
    last = now;
  }, 10);
  const t0 = performance.now();
  const value = await fn().catch((e: unknown) => e);
  const ms = performance.now() - t0;
  clearInterval(t);
  gapMs = Math.max(gapMs, performance.now() - last);
  return { value, gapMs, ms };
}

/** A string doubled `n` times from 16 characters: 2^(n+4) characters, built in n steps. */
function doubled(n: number): string {
  return `($s := "0123456789abcdef"; ${'$s := $s & $s; '.repeat(n)}$uppercase($s))`;
}

beforeAll(async () => {
  warmJsonataPool();
  await evaluateJsonata('$string(1)', null); // a function call: runs in the pool
}, 30_000);

describe('JSONata in the process pool', () => {
  it('gives the same results as before: JSON, bindings, truthiness, Japanese text', async () => {
    expect(
      await evaluateJsonata(
        '{"挨拶": $greeting & "、" & name, "n": $count(items)}',
        {
          greeting: 'こんにちは',
          name: '世界',
          items: [1, 2, 3],
        },
        { bindInputs: true },
      ),
    ).toEqual({ 挨拶: 'こんにちは、世界', n: 3 });
    expect(await evaluateJsonata('items[$ > 1]', { items: [1, 2, 3] })).toEqual([2, 3]);
    expect(await evaluateJsonata('missing', {})).toBeNull();
    expect(await testJsonata('$contains(text, "東京")', { text: '東京都' })).toBe(true);
    expect(await testJsonata('[]', null)).toBe(false);
    await expect(evaluateJsonata('$$$(', null, { path: 'config.expression' })).rejects.toMatchObject({
      code: 'jsonata_error',
      message: expect.stringContaining('syntax error'),
    });
  });

  it('stops a builtin that builds a huge string ($pad to 300 million), without freezing the server', async () => {
    const { value, gapMs, ms } = await longestStall(() =>
      evaluateJsonata('$pad("", 300000000)', null, { path: 'config.expression' }),
    );
    expect(value).toBeInstanceOf(NodeError);
    expect(['jsonata_timeout', 'jsonata_resource_limit']).toContain((value as NodeError).code);
    expect((value as NodeError).path).toBe('config.expression');
    expect(ms).toBeLessThan(6_000);
    expect(gapMs).toBeLessThan(500);
    // the pool replaced the worker and serves the next expression
    expect(await evaluateJsonata('$sum([1, 1])', null)).toBe(2);
  });

  it('stops heavy builtins over a million items while the event loop keeps ticking', async () => {
    const { value, gapMs } = await longestStall(() =>
      evaluateJsonata('$sort([1..1000000], function($a, $b) { $a < $b })', null),
    );
    expect(value).toMatchObject({ code: 'jsonata_timeout' });
    expect(gapMs).toBeLessThan(500);
  });

  it('refuses a result over the size limit', async () => {
    // the input is over the inline limit, so this runs in the pool; the result is ~18 MB
    await expect(evaluateJsonata('[$, $]', 'x'.repeat(9_000_000))).rejects.toMatchObject({
      code: 'jsonata_resource_limit',
      message: expect.stringContaining(`${JSONATA_LIMITS.resultBytes}-byte limit`),
    });
  });

  it('cancels an evaluation when its signal aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = performance.now();
    await expect(
      evaluateJsonata('($f := function($n) { $f($n + 1) }; $f(0))', null, { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'jsonata_timeout', message: expect.stringContaining('cancelled') });
    expect(performance.now() - t0).toBeLessThan(900);
    expect(await evaluateJsonata('$string("ok")', null)).toBe('ok');
  });
});

describe('a JSONata pool with a small heap', () => {
  const pool = new JsonataPool({ size: 1, heapMb: 16, hardTimeoutMs: 20_000 });
  afterAll(() => pool.close());

  it('fails an expression that needs more memory with jsonata_resource_limit; the evaluations queued behind it still run', async () => {
    const heavy = pool.run(doubled(22), null, undefined, 'json', 'config.expression', undefined);
    const behind = [1, 2, 3].map((n) => pool.run('$ * 2', n, undefined, 'json', undefined, undefined));
    await expect(heavy).rejects.toMatchObject({
      code: 'jsonata_resource_limit',
      path: 'config.expression',
      message: expect.stringContaining('16 MiB'),
    });
    expect(await Promise.all(behind)).toEqual([2, 4, 6]);
  }, 60_000);
});
