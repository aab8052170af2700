import { describe, it, expect } from 'vitest';
import {
  LinearRegExp,
  MAX_PROGRAM_SIZE,
  compileUserRegex,
  estimateProgramSize,
  testUserRegex,
  userRegexProblem,
} from './regex';
import { validateFlow } from './flow/validate';

const EVIL = 'a'.repeat(32) + '!';

describe('user regexes (RE2)', () => {
  it('match like JavaScript on ordinary patterns', () => {
    const cases: Array<[string, string, string]> = [
      ['^\\d{4}-\\d{2}$', '', '2024-01'],
      ['^order$', 'i', 'ORDER'],
      ['^a.b$', 's', 'a\nb'],
      ['^b$', 'm', 'a\nb\nc'],
      ['(?<year>\\d{4})', '', 'in 1999'],
      ['[\\w.+-]+@[\\w-]+\\.[a-z]{2,}', '', 'mail me: x.y+z@ex-ample.org'],
      ['\\bno\\b', '', 'say no more'],
      ['^\\{[\\s\\S]*\\}$', '', '{\n "a": 1\n}'],
      ['\\p{L}+', 'u', 'héllo'],
    ];
    for (const [p, f, text] of cases) {
      expect(testUserRegex(p, f, text), `/${p}/${f}`).toBe(new RegExp(p, f).test(text));
      expect(testUserRegex(p, f, '???'), `/${p}/${f} on ???`).toBe(new RegExp(p, f).test('???'));
    }
  });

  it('LinearRegExp.exec walks matches like a global RegExp (UTF-16 indexes, groups, lastIndex)', () => {
    const text = '😀ab😀b-ab';
    const mine = new LinearRegExp(/(a)?b/g);
    const native = /(a)?b/g;
    for (;;) {
      const a = mine.exec(text);
      const b = native.exec(text);
      expect(a === null).toBe(b === null);
      if (!a || !b) break;
      expect([...a]).toEqual([...b]);
      expect(a.index).toBe(b.index);
      expect(mine.lastIndex).toBe(native.lastIndex);
    }
    expect(mine.lastIndex).toBe(0);
  });

  it('refuse lookarounds, backreferences and bad flags with a reason', () => {
    expect(userRegexProblem('(?=a)b')).toMatch(/lookahead and lookbehind are not supported/);
    expect(userRegexProblem('(?<!a)b')).toMatch(/lookahead and lookbehind are not supported/);
    expect(userRegexProblem('(a)\\1')).toMatch(/backreferences are not supported/);
    expect(userRegexProblem('[')).toMatch(/missing closing \]/);
    expect(userRegexProblem('a', 'g')).toMatch(/unsupported regex flags/);
    expect(userRegexProblem('(a+)+$')).toBeUndefined();
    expect(compileUserRegex('x+', 'i')).toBe(compileUserRegex('x+', 'i')); // cached
  });

  it('refuse patterns whose RE2 program would be huge, before compiling them', () => {
    for (const unit of ['(?:[\\s\\S]{1000})', '\\p{L}{1000}', '(?:\\w{30}){30}']) {
      const p = unit.repeat(Math.floor(10_000 / unit.length));
      const t0 = performance.now();
      expect(userRegexProblem(p)).toMatch(/pattern too complex/);
      expect(performance.now() - t0).toBeLessThan(100); // compiling it would take ~1-2 s and 100+ MB
    }
    // Ordinary patterns are far below the limit, and the estimate is close to RE2's own count.
    for (const p of ['^\\d{4}-\\d{2}$', '^[^@]{1,64}@[^.]{1,255}$', '((ab){10}c){10}', '\\p{L}{1000}']) {
      const actual = compileUserRegex(p).programSize();
      expect(actual).toBeLessThan(MAX_PROGRAM_SIZE);
      expect(estimateProgramSize(p), p).toBeGreaterThan(actual / 2);
      expect(estimateProgramSize(p), p).toBeLessThan(actual * 2);
    }
  });

  it('(a+)+$ runs in linear time: no catastrophic backtracking, timers keep ticking', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    try {
      const t0 = performance.now();
      expect(testUserRegex('(a+)+$', '', EVIL)).toBe(false);
      expect(testUserRegex('(a+)+$', '', 'a'.repeat(100_000) + '!')).toBe(false);
      expect(testUserRegex('^(\\w+\\s?)*$', '', 'word '.repeat(10_000) + '!')).toBe(false);
      const elapsed = performance.now() - t0;
      // A backtracking engine needs ~2^32 steps for EVIL alone (minutes).
      expect(elapsed).toBeLessThan(1_000);
      await new Promise((r) => setTimeout(r, 30));
      expect(ticks).toBeGreaterThan(0);
    } finally {
      clearInterval(timer);
    }
  });

  it('flow validation reports a pattern RE2 cannot run, with its path', () => {
    const res = validateFlow({
      schemaVersion: 1,
      id: 'f',
      name: 'f',
      nodes: [
        {
          id: 'v',
          type: 'validator',
          position: { x: 0, y: 0 },
          config: { rules: [{ kind: 'regex', pattern: '^(?=.*\\d).+$' }] },
          values: { value: 'x' },
        },
      ],
    });
    expect(res.ok).toBe(false);
    const p = res.problems.find((x) => x.code === 'invalid_config');
    expect(p?.path).toBe('nodes[0].config.rules[0].pattern');
    expect(p?.message).toMatch(/lookahead/);
    expect(p?.nodeId).toBe('v');
  });
});
