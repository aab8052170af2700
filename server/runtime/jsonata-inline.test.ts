import { describe, expect, it } from 'vitest';
import { evaluateJsonata, testJsonata } from './jsonata';
import { evaluateInThread } from './jsonata-engine';
import { INLINE_LIMITS, isBoundedExpression, runsInline } from './jsonata-inline';

describe('expressions that may run on the calling thread', () => {
  it('are built from paths, literals, operators, conditionals and constructors only', () => {
    for (const e of [
      'order.price * order.qty',
      '{"名前": user.name & "さん", "total": a + b, "flags": [x > 1, y = "東京"]}',
      '$.a.b',
      '$name',
      'a ? b : -c',
      'status in ["open", "pending"]',
      'items.price',
      'a and (b or c)',
    ])
      expect(isBoundedExpression(e), e).toBe(true);
    for (const e of [
      '$pad("", 300000000)',
      '$count(items)',
      'items[price > 3]',
      'items{name: price}',
      'a.(b)',
      '[1..1000000]',
      '**.x',
      '*.x',
      'items^(price)',
      'function($x) { $x }',
      '($f := function($n) { $f($n + 1) }; $f(0))',
      '$contains(s, /a+/)',
      'a ~> $string()',
      'a.b%.c',
      '$$$(',
      `${'a + '.repeat(50)}a`,
      `"${'x'.repeat(INLINE_LIMITS.maxChars)}"`,
    ])
      expect(isBoundedExpression(e), e).toBe(false);
  });

  it('and only over a small input', () => {
    expect(runsInline('a.b', { a: { b: 'x' } })).toBe(true);
    expect(runsInline('a.b', { a: { b: 'x'.repeat(INLINE_LIMITS.maxInputBytes) } })).toBe(false);
    expect(runsInline('$count(a)', { a: [] })).toBe(false);
  });

  it('give the same results inline as in the pool', async () => {
    const input = { user: { name: '山田' }, a: 2, b: 3, x: 5, y: '東京', items: [{ price: 1 }, { price: 2 }] };
    for (const e of [
      '{"名前": user.name & "さん", "total": a + b, "flags": [x > 1, y = "東京"]}',
      'items.price',
      'missing',
      'a > b ? "big" : "small"',
    ]) {
      expect(runsInline(e, input), e).toBe(true);
      // evaluateJsonata takes the inline path here; the pool's answer is the reference
      const inline = await evaluateJsonata(e, input, { bindInputs: true });
      expect(JSON.parse(JSON.stringify(inline)), e).toEqual(await evaluateInThread(e, input, input, 'json'));
    }
    expect(await testJsonata('y = "東京"', input)).toBe(true);
    expect(await testJsonata('items.price = 7', input)).toBe(false);
    await expect(evaluateJsonata('"x" + a', { a: 1 }, { path: 'config.expression' })).rejects.toMatchObject({
      code: 'jsonata_error',
      path: 'config.expression',
    });
  });
});
