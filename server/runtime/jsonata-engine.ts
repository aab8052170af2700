/**
 * JSONata evaluated on the calling thread, under jsonata's own guardrails (wall-clock
 * timeout checked between steps, stack depth, sequence length). Regexes run on RE2 with a
 * hard time limit (regex-guard.ts), never on a backtracking RegExp. Compiled expressions are
 * cached by their text.
 *
 * The guardrails cannot stop one builtin call that runs long or builds a huge value
 * (`$pad("", 300000000)`), so the server never calls this on its own thread: it runs in the
 * worker pool of server/sandbox/jsonata-pool.ts, which can terminate a worker. Use
 * server/runtime/jsonata.ts.
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
  /** Largest result, in bytes of JSON (about): a bigger one is an error, not a value to carry on. */
  resultBytes: 16 * 1024 * 1024,
  /** Heap of each JSONata worker thread (input, intermediate values and result), in MiB. */
  heapMb: 256,
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

/** What the caller wants back: plain JSON (transform) or JSONata truthiness (condition). */
export type JsonataResultKind = 'json' | 'truthy';

/**
 * Evaluate an expression against `input` (`$`) with optional variable bindings (`$name`) and
 * turn the result into plain JSON or a boolean. Errors become NodeError `jsonata_error`; the
 * time box and depth limit `jsonata_timeout`.
 */
export async function evaluateInThread(
  expression: string,
  input: unknown,
  bindings: Record<string, unknown> | undefined,
  as: JsonataResultKind,
  path?: string,
): Promise<unknown> {
  const expr = compileJsonata(expression, path);
  let value: unknown;
  try {
    value = await expr.evaluate(input, bindings);
  } catch (err) {
    const f = describeFault(err);
    if (f.code === 'D1012' || f.code === 'D1011') {
      throw new NodeError('jsonata_timeout', `JSONata evaluation stopped: ${f.message}`, { path, cause: err });
    }
    throw new NodeError('jsonata_error', `JSONata evaluation failed: ${f.message}`, { path, cause: err });
  }
  if (as === 'truthy') return jsonataTruthy(value);
  const plain = toPlainJson(value, path);
  const size = jsonSizeUpTo(plain, JSONATA_LIMITS.resultBytes);
  if (size > JSONATA_LIMITS.resultBytes)
    throw new NodeError(
      'jsonata_resource_limit',
      `JSONata result is over the ${JSONATA_LIMITS.resultBytes}-byte limit of an expression result`,
      { path },
    );
  return plain;
}

/** Size of plain JSON in bytes (about: strings count their UTF-16 length), counting stops past `limit`. */
export function jsonSizeUpTo(v: unknown, limit: number): number {
  let size = 0;
  const stack: unknown[] = [v];
  while (stack.length > 0 && size <= limit) {
    const x = stack.pop();
    if (typeof x === 'string') size += x.length + 2;
    else if (x === null || typeof x !== 'object') size += 8;
    else if (Array.isArray(x)) {
      size += 2 + x.length;
      for (const item of x) stack.push(item);
    } else {
      for (const [k, item] of Object.entries(x)) {
        size += k.length + 4;
        stack.push(item);
      }
    }
  }
  return size;
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
