/**
 * String metrics: exact match (with normalisation options), contains, regex, JSON
 * validity, JSON Schema conformance and Levenshtein similarity.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { guardedRegexTest } from '../../runtime/regex-guard';

export interface NormalizeOptions {
  /** Trim leading and trailing whitespace (default true). */
  trim?: boolean;
  /** Compare case-insensitively. */
  ignoreCase?: boolean;
  /** Remove ASCII punctuation. */
  ignorePunctuation?: boolean;
  /** Collapse runs of whitespace to one space. */
  collapseWhitespace?: boolean;
  /** Drop the English articles a / an / the. */
  ignoreArticles?: boolean;
  /**
   * SQuAD's normalize_answer: lower-case, strip punctuation and articles, collapse
   * whitespace (overrides the other flags).
   */
  squad?: boolean;
}

const PUNCT = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

export function normalizeText(s: string, o: NormalizeOptions = {}): string {
  const opts: NormalizeOptions = o.squad
    ? { trim: true, ignoreCase: true, ignorePunctuation: true, collapseWhitespace: true, ignoreArticles: true }
    : o;
  let t = s;
  if (opts.ignoreCase) t = t.toLowerCase();
  if (opts.ignorePunctuation) t = t.replace(PUNCT, '');
  if (opts.ignoreArticles) t = t.replace(/\b(a|an|the)\b/gi, ' ');
  if (opts.collapseWhitespace || opts.ignoreArticles) t = t.split(/\s+/).filter(Boolean).join(' ');
  if (opts.trim ?? true) t = t.trim();
  return t;
}

/** Text form of any value: strings as-is, others as JSON. */
export function asText(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function exactMatch(output: string, expected: string | string[], opts: NormalizeOptions = {}): boolean {
  const o = normalizeText(output, opts);
  const refs = Array.isArray(expected) ? expected : [expected];
  return refs.some((r) => normalizeText(r, opts) === o);
}

export function contains(output: string, needle: string, opts: { ignoreCase?: boolean } = {}): boolean {
  return opts.ignoreCase ? output.toLowerCase().includes(needle.toLowerCase()) : output.includes(needle);
}

/** Patterns come from datasets and metric specs: they run on RE2 with a time limit (no ReDoS). */
export function regexMatch(output: string, pattern: string, flags = ''): boolean {
  return guardedRegexTest(pattern, flags, output);
}

export function jsonValid(output: string): boolean {
  try {
    JSON.parse(output);
    return true;
  } catch {
    return false;
  }
}

// ownProperties: `required` must not be satisfied by Object.prototype ("toString", "constructor"…).
const ajv = new Ajv({ allErrors: true, strict: false, ownProperties: true });
type AddFormats = (a: Ajv) => Ajv;
const addFormatsFn = ((addFormats as unknown as { default?: AddFormats }).default ??
  addFormats) as unknown as AddFormats;
addFormatsFn(ajv);
const compiled = new Map<string, ValidateFunction>();

/** Validate `value` (a JSON string is parsed first) against a JSON Schema. */
export function jsonSchemaCheck(value: unknown, schema: object): { valid: boolean; errors: string[] } {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (e) {
      return { valid: false, errors: [`not JSON: ${(e as Error).message}`] };
    }
  }
  const key = JSON.stringify(schema);
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(key, fn);
  }
  const valid = fn(v);
  return {
    valid,
    errors: valid ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`.trim()),
  };
}

/** Levenshtein edit distance over UTF-16 code units (insert, delete, substitute = 1). */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** 1 − distance / max(length): 1 for equal strings, 0 for nothing in common. */
export function levenshteinSimilarity(a: string, b: string): number {
  const m = Math.max(a.length, b.length);
  return m === 0 ? 1 : 1 - levenshtein(a, b) / m;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`embedding sizes differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
