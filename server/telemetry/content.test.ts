import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedJson, boundedText, TRUNCATED } from './content';

const SECRET = 'sk-proj-9f8e7d6c5b4a';

describe('boundedJson', () => {
  it('is JSON.stringify for values within the budget, and its prefix beyond it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), fc.integer({ min: 1, max: 400 }), (value, max) => {
        const full = JSON.stringify(value);
        const out = boundedJson(value, max, []);
        if (out === undefined) {
          expect(full).toBe('{}');
        } else if (full.length <= max) {
          expect(out).toBe(full);
        } else {
          expect(out.endsWith(TRUNCATED)).toBe(true);
          expect(out.slice(0, max)).toBe(full.slice(0, max));
          expect(out.length).toBe(max + TRUNCATED.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never lets a secret or a prefix of it through, wherever the cut falls', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 120 }),
        fc.integer({ min: 20, max: 200 }),
        fc.boolean(),
        (before, max, nested) => {
          const text = `${before}${SECRET} 東京`;
          const value = nested ? { items: [{ note: text }], more: 'x'.repeat(500) } : { note: text };
          const out = boundedJson(value, max, [SECRET])!;
          expect(out).not.toContain(SECRET.slice(0, 8));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('redacts a secret that JSON escapes', () => {
    const secret = 'tok"en\\with-quotes';
    const out = boundedJson({ header: `Bearer ${secret}` }, 1000, [secret])!;
    expect(out).toBe('{"header":"Bearer [redacted]"}');
  });

  it('costs the budget, not the size of the value', () => {
    let reads = 0;
    const items = Array.from({ length: 200_000 }, (_, i) => ({ i, text: '東京' }));
    const counted = new Proxy(items, {
      get(target, key, receiver) {
        if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const out = boundedJson({ answer: 'あ'.repeat(5_000_000), list: counted }, 4096, [SECRET])!;
    expect(out.length).toBe(4096 + TRUNCATED.length);
    expect(boundedJson({ list: counted }, 4096, [SECRET])!.length).toBe(4096 + TRUNCATED.length);
    // the list is read only as far as the budget reaches (twice: size estimate, then text)
    expect(reads).toBeLessThan(2 * 4096);
  });

  it('survives cycles, bigint, toJSON and functions', () => {
    const a: Record<string, unknown> = { n: 1n, at: new Date(0), f: () => 1 };
    a.self = a;
    expect(boundedJson(a, 1000, [])).toBe('{"n":"1","at":"1970-01-01T00:00:00.000Z","self":"[…]"}');
    expect(boundedJson({}, 100, [])).toBeUndefined();
    expect(boundedJson({ a: 1 }, 0, [])).toBeUndefined();
  });
});

describe('boundedText', () => {
  it('redacts before cutting', () => {
    expect(boundedText(`key ${SECRET} failed`, 10, [SECRET])).toBe(`key [redac${TRUNCATED}`);
    expect(boundedText(`${'x'.repeat(8)}${SECRET}`, 10, [SECRET])).toBe(`xxxxxxxx[r${TRUNCATED}`);
  });
});
