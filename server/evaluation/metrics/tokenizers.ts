/**
 * sacreBLEU's tokenizers, character for character (sacrebleu 2.6.0, sacrebleu/tokenizers/):
 * `13a` (mteval-v13a, the default), `none`, `intl` (mteval-v14 international), `char`
 * and `zh`; plus `ja`, a morphological one on kuromoji (./japanese.ts) in place of
 * sacreBLEU's `ja-mecab`. Each returns the tokens; sacreBLEU returns them joined by
 * spaces and splits again with Python's `str.split()`, which `pySplit` reproduces.
 */

/** The characters Python's str.split() / str.strip() treat as whitespace. */
const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`);
const PY_TRAILING_WS = new RegExp(`[${PY_WS}]+$`);
const PY_LEADING_WS = new RegExp(`^[${PY_WS}]+`);

const PY_WS_CHAR = new RegExp(`^[${PY_WS}]$`);
/** Python's `c.isspace()` for one character. */
export const isPyWhitespace = (c: string): boolean => PY_WS_CHAR.test(c);

/** Python's `s.split()`: runs of whitespace, no empty items. */
export function pySplit(s: string): string[] {
  return s.split(PY_WS_RUN).filter((w) => w.length > 0);
}
export const pyRstrip = (s: string): string => s.replace(PY_TRAILING_WS, '');
export const pyStrip = (s: string): string => pyRstrip(s).replace(PY_LEADING_WS, '');

// TokenizerRegexp: the common post-processing of `13a` and `zh`.
const RE_PUNCT = /([{-~[-` -&(-+:-@/])/g;
const RE_PERIOD_COMMA_AFTER_NONDIGIT = /([^0-9])([.,])/g;
const RE_PERIOD_COMMA_BEFORE_NONDIGIT = /([.,])([^0-9])/g;
const RE_DASH_AFTER_DIGIT = /([0-9])(-)/g;

function regexpTokens(line: string): string[] {
  return pySplit(
    line
      .replace(RE_PUNCT, ' $1 ')
      .replace(RE_PERIOD_COMMA_AFTER_NONDIGIT, '$1 $2 ')
      .replace(RE_PERIOD_COMMA_BEFORE_NONDIGIT, ' $1 $2')
      .replace(RE_DASH_AFTER_DIGIT, '$1 $2 '),
  );
}

/** Tokenizer13a. */
export function tokens13a(input: string): string[] {
  let line = input.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (line.includes('&'))
    line = line.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  return regexpTokens(` ${line} `);
}

/** sacreBLEU's `13a` tokenization as one string (kept for callers of the old name). */
export const tokenize13a = (input: string): string => tokens13a(input).join(' ');

const RE_INTL = [
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  [/(\p{S})/gu, ' $1 '],
] as const;

/** TokenizerV14International (Unicode punctuation and symbols split off, except inside numbers). */
export function tokensIntl(input: string): string[] {
  let line = input;
  for (const [re, repl] of RE_INTL) line = line.replace(re, repl);
  return pySplit(line);
}

/** TokenizerChar: every character is a token (whitespace is dropped by the split). */
export function tokensChar(input: string): string[] {
  return pySplit(Array.from(input).join(' '));
}

// TokenizerZh's ranges, as the Python string literals they are. Python compares strings
// code point by code point, so the two "(UTF16)" ranges written with five hex digits
// ('\u20000' is U+2000 followed by "0") really cover U+2001–U+2A6D and U+2F81–U+2FA1;
// sacreBLEU's scores depend on that, so it is kept.
const ZH_RANGES: ReadonlyArray<readonly [string, string]> = [
  ['\u3400', '\u4db5'],
  ['\u4e00', '\u9fa5'],
  ['\u9fa6', '\u9fbb'],
  ['\uf900', '\ufa2d'],
  ['\ufa30', '\ufa6a'],
  ['\ufa70', '\ufad9'],
  ['\u20000', '\u2a6d6'],
  ['\u2f800', '\u2fa1d'],
  ['\uff00', '\uffef'],
  ['\u2e80', '\u2eff'],
  ['\u3000', '\u303f'],
  ['\u31c0', '\u31ef'],
  ['\u2f00', '\u2fdf'],
  ['\u2ff0', '\u2fff'],
  ['\u3100', '\u312f'],
  ['\u31a0', '\u31bf'],
  ['\ufe10', '\ufe1f'],
  ['\ufe30', '\ufe4f'],
  ['\u2600', '\u26ff'],
  ['\u2700', '\u27bf'],
  ['\u3200', '\u32ff'],
  ['\u3300', '\u33ff'],
];

/** Python's comparison of two str: code point by code point, a prefix sorts first. */
function pyCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0) as number);
  const y = Array.from(b, (c) => c.codePointAt(0) as number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

const zhCache = new Map<string, boolean>();
function isChineseChar(ch: string): boolean {
  let v = zhCache.get(ch);
  if (v === undefined) {
    v = ZH_RANGES.some(([start, end]) => pyCompare(start, ch) <= 0 && pyCompare(ch, end) <= 0);
    zhCache.set(ch, v);
  }
  return v;
}

/** TokenizerZh: each Chinese character (sacreBLEU's ranges) is a token; the rest as 13a's post-tokenizer. */
export function tokensZh(input: string): string[] {
  let spaced = '';
  for (const ch of pyStrip(input)) spaced += isChineseChar(ch) ? ` ${ch} ` : ch;
  return regexpTokens(spaced);
}

export type TokenizeFn = (line: string) => string[];

/**
 * The tokenizer of a BLEU `tokenize` option. `ja` needs the loaded Japanese analyzer
 * (`await japaneseTokens()` from ./japanese.ts), passed as `ja`.
 */
export function bleuTokenizer(name: string | undefined, ja?: TokenizeFn): TokenizeFn {
  switch (name ?? '13a') {
    case '13a':
      return tokens13a;
    case 'none':
      return pySplit;
    case 'intl':
      return tokensIntl;
    case 'char':
      return tokensChar;
    case 'zh':
      return tokensZh;
    case 'ja':
      if (!ja) throw new Error('the ja tokenizer is not loaded');
      return (line) => ja(pyStrip(line));
    default:
      throw new Error(`unknown BLEU tokenizer "${name}"`);
  }
}
