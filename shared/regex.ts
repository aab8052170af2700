/**
 * Regular expressions written by users (validator `regex` rules, JSONata regex literals) run
 * on RE2 (re2js, pure JavaScript), whose matching time is linear in the input: a pattern such
 * as `(a+)+$` cannot backtrack catastrophically and block the event loop. A native RegExp
 * cannot be interrupted once it runs, so no user pattern ever reaches one.
 *
 * RE2 has no lookarounds and no backreferences; such patterns are refused with a message
 * (at validation time for validator rules, when the expression runs for JSONata).
 */
import { RE2JS } from 're2js';

/** Flags a user regex may carry: i (ignore case), m (multi-line), s (dot matches newline), u (no-op: RE2 is Unicode). */
export const USER_REGEX_FLAGS = /^[imsu]*$/;

export class UserRegexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserRegexError';
  }
}

const CACHE_MAX = 500;
const cache = new Map<string, RE2JS>();

/**
 * Compile a user pattern (JavaScript syntax, translated to RE2) with JavaScript-style flags.
 * Compiled patterns are cached (bounded). Throws UserRegexError with a readable reason.
 */
export function compileUserRegex(pattern: string, flags = ''): RE2JS {
  const key = `${flags}/${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  if (!USER_REGEX_FLAGS.test(flags)) throw new UserRegexError(`unsupported regex flags "${flags}" (use i, m, s, u)`);
  // Compiling RE2 expands counted repeats: `(?:[\s\S]{1000})` × 500 would take seconds and
  // hundreds of MB before matching anything. Refuse from a cheap estimate first.
  const estimate = estimateProgramSize(pattern);
  if (estimate > MAX_PROGRAM_SIZE) throw tooComplex(estimate);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(pattern), toRe2Flags(flags));
  } catch (err) {
    throw new UserRegexError(describeRe2Error(err));
  }
  if (re.programSize() > MAX_PROGRAM_SIZE) throw tooComplex(re.programSize());
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

/** Why a user pattern cannot be used, or undefined when it can. */
export function userRegexProblem(pattern: string, flags = ''): string | undefined {
  try {
    compileUserRegex(pattern, flags);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Largest RE2 program a user pattern may compile to. Matching costs up to (program size ×
 * text length) steps; ordinary patterns, even `[^@]{1,64}@[^.]{1,255}`, stay far below.
 */
export const MAX_PROGRAM_SIZE = 10_000;

function tooComplex(size: number): UserRegexError {
  return new UserRegexError(
    `pattern too complex: about ${size} RE2 instructions (at most ${MAX_PROGRAM_SIZE}); lower its repeat counts ({n,m})`,
  );
}

/**
 * Rough size of the RE2 program of a pattern, without compiling it: every atom counts 1,
 * times the counts of the repeats `{n}`, `{n,}` and `{n,m}` around it (RE2 expands those).
 */
export function estimateProgramSize(pattern: string): number {
  const stack: Array<{ size: number; last: number }> = [{ size: 0, last: 0 }];
  let top = stack[0];
  const atom = (n: number): void => {
    top.size += n;
    top.last = n;
  };
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      // \p{…}, \u{…}, \x{…} and \k<…> are one atom.
      if ('pPux'.includes(pattern[i] ?? '') && pattern[i + 1] === '{') i = Math.max(i, pattern.indexOf('}', i));
      atom(1);
    } else if (c === '[') {
      let j = i + 1;
      if (pattern[j] === '^') j++;
      if (pattern[j] === ']') j++;
      while (j < pattern.length && pattern[j] !== ']') j += pattern[j] === '\\' ? 2 : 1;
      i = j;
      atom(1);
    } else if (c === '(') {
      top = { size: 0, last: 0 };
      stack.push(top);
    } else if (c === ')') {
      if (stack.length === 1) {
        atom(1);
        continue;
      }
      const inner = stack.pop()!.size + 2;
      top = stack[stack.length - 1];
      atom(inner);
    } else if (c === '{') {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (!m) {
        atom(1);
        continue;
      }
      // x{n,m} becomes n copies of x and m-n optional ones (each a copy plus a branch).
      const n = Number(m[1]);
      const extra = m[3] ? Math.max(Number(m[3]) - n, 0) : 0;
      const last = top.last;
      top.last = last * n + extra * (last + 1) + 1;
      top.size += top.last - last;
      i += m[0].length - 1;
    } else if (c === '*' || c === '+' || c === '?' || c === '|') {
      top.size += 1;
    } else {
      atom(1);
    }
    if (top.size > 1e9) return top.size;
  }
  while (stack.length > 1) {
    const inner = stack.pop()!.size;
    stack[stack.length - 1].size += inner;
  }
  return stack[0].size;
}

function toRe2Flags(flags: string): number {
  let out = 0;
  if (flags.includes('i')) out |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) out |= RE2JS.MULTILINE;
  if (flags.includes('s')) out |= RE2JS.DOTALL;
  return out;
}

function describeRe2Error(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const msg = raw.replace(/^error parsing regexp: /, '');
  if (/\(\?[=!]|\(\?<[=!]/.test(msg))
    return `${msg} (lookahead and lookbehind are not supported: user regexes run on the linear-time RE2 engine)`;
  if (/invalid escape sequence: `\\[1-9]/.test(msg) || /\\k</.test(msg))
    return `${msg} (backreferences are not supported: user regexes run on the linear-time RE2 engine)`;
  return msg;
}

/**
 * Whether `pattern` matches anywhere in `text`. Linear in the text, but the factor is the
 * pattern's program size (up to ~10^4 for `[\s\S]{1000}` repeated): the server bounds the
 * product (server/runtime/regex-guard.ts); this plain version is for short texts.
 */
export function testUserRegex(pattern: string, flags: string, text: string): boolean {
  return compileUserRegex(pattern, flags).test(text);
}

/**
 * A RegExp look-alike backed by RE2, for JSONata's `RegexEngine` option: JSONata builds one
 * per regex literal (`new Engine(regexp)`), sets `lastIndex` and calls `exec` as with a
 * global RegExp.
 */
export class LinearRegExp {
  lastIndex = 0;
  readonly source: string;
  readonly flags: string;
  /** The compiled pattern (RE2 syntax in `re.pattern()`, RE2 flags in `re.flags()`). */
  protected readonly re: RE2JS;

  constructor(source: RegExp | string, flags?: string) {
    this.source = typeof source === 'string' ? source : source.source;
    const all = typeof source === 'string' ? (flags ?? '') : source.flags;
    this.flags = all;
    this.re = compileUserRegex(this.source, all.replace(/[gyd]/g, ''));
  }

  exec(text: string): RegExpExecArray | null {
    const str = String(text);
    if (this.lastIndex > str.length) {
      this.lastIndex = 0;
      return null;
    }
    const m = this.re.matcher(str);
    if (!m.find(this.lastIndex)) {
      this.lastIndex = 0;
      return null;
    }
    const parts: Array<string | undefined> = [];
    for (let g = 0; g <= m.groupCount(); g++) parts.push(m.group(g) ?? undefined);
    const result = Object.assign(parts, { index: m.start(), input: str }) as unknown as RegExpExecArray;
    this.lastIndex = m.end();
    return result;
  }

  test(text: string): boolean {
    return this.exec(text) !== null;
  }
}
