/**
 * JSONata with a time box: every evaluation runs under jsonata's guardrails (wall-clock
 * timeout, stack depth, sequence length), so a runaway expression ends in a node error
 * instead of hanging the run. Regexes run on RE2 with a hard time limit (regex-guard.ts),
 * never on a backtracking RegExp. Compiled expressions are cached by their text.
 */
import jsonata from 'jsonata';
import { GuardedRegExp } from './regex-guard';
import { NodeError } from './types';

export const JSONATA_LIMITS = {
  /** Wall-clock budget of one evaluation, in ms. */
  timeoutMs: 1_000,
  /** Maximum evaluation depth (deep recursion ends with an error). */
  stack: 500,
  /** Maximum length of any sequence built during evaluation. */
  sequence: 1_000_000,
};

const CACHE_MAX = 1_000;
const cache = new Map<string, jsonata.Expression>();

interface JsonataFault {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

function describeFault(err: unknown): { code?: string; message: string } {
  if (err && typeof err === 'object') {
    const f = err as JsonataFault;
    const at = typeof f.position === 'number' ? ` (at position ${f.position})` : '';
    return { code: f.code, message: `${f.message ?? 'invalid expression'}${at}` };
  }
  return { message: String(err) };
}

/** Compile (or fetch from the cache) an expression; syntax errors become NodeError `jsonata_error`. */
export function compileJsonata(expression: string, path?: string): jsonata.Expression {
  const hit = cache.get(expression);
  if (hit) return hit;
  let expr: jsonata.Expression;
  try {
    expr = jsonata(expression, {
      timeout: JSONATA_LIMITS.timeoutMs,
      stack: JSONATA_LIMITS.stack,
      sequence: JSONATA_LIMITS.sequence,
      // Regex literals (and $eval-built ones) run on RE2, costly matches in a worker with a
      // hard limit: the time box cannot interrupt a running match, so it never relies on it.
      RegexEngine: GuardedRegExp as unknown as RegExpConstructor,
    });
  } catch (err) {
    const f = describeFault(err);
    throw new NodeError('jsonata_error', `JSONata syntax error: ${f.message}`, { path, cause: err });
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(expression, expr);
  return expr;
}

/**
 * Evaluate an expression against `input` (`$`) with optional variable bindings (`$name`).
 * Errors become NodeError `jsonata_error`; the time box and depth limit `jsonata_timeout`.
 */
export async function evaluateJsonata(
  expression: string,
  input: unknown,
  bindings?: Record<string, unknown>,
  path?: string,
): Promise<unknown> {
  const expr = compileJsonata(expression, path);
  try {
    return await expr.evaluate(input, bindings);
  } catch (err) {
    const f = describeFault(err);
    if (f.code === 'D1012' || f.code === 'D1011') {
      throw new NodeError('jsonata_timeout', `JSONata evaluation stopped: ${f.message}`, { path, cause: err });
    }
    throw new NodeError('jsonata_error', `JSONata evaluation failed: ${f.message}`, { path, cause: err });
  }
}

/** JSONata's truthiness (as `$boolean`): empty strings, 0, empty arrays and null are false. */
export function jsonataTruthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (typeof v === 'number') return !Number.isNaN(v);
  if (Array.isArray(v)) return v.some(jsonataTruthy);
  if (typeof v === 'function') return false;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/**
 * Turn an evaluation result into plain JSON: sequences become arrays, `undefined` becomes
 * null, functions are refused.
 */
export function toPlainJson(v: unknown, path?: string, depth = 0): unknown {
  if (depth > 200) throw new NodeError('jsonata_error', 'JSONata result is nested too deeply', { path });
  if (v === undefined) return null;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'function') throw new NodeError('jsonata_error', 'JSONata result is a function, not JSON', { path });
  if (Array.isArray(v)) return v.map((x) => toPlainJson(x, path, depth + 1));
  if (typeof v === 'object') {
    // Null prototype: an own `__proto__` key in the data stays a plain key.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, x] of Object.entries(v as Record<string, unknown>))
      if (x !== undefined) out[k] = toPlainJson(x, path, depth + 1);
    return out;
  }
  return null;
}
