/**
 * JSONata for the runtime (condition branches, transform expressions): every evaluation runs
 * in the process pool of server/sandbox/jsonata-pool.ts (unless it is bounded by construction
 * and its input small: server/runtime/jsonata-inline.ts), under jsonata's own guardrails (time
 * box, depth, sequence length) and the pool's hard edges (heap cap, termination on overrun).
 * Errors are NodeErrors: `jsonata_error` (syntax, evaluation), `jsonata_timeout` (time box,
 * depth, cancelled) and `jsonata_resource_limit` (the expression needed too much memory).
 */
import { evaluateInPool } from '../sandbox/jsonata-pool';
import { evaluateInThread } from './jsonata-engine';
import { runsInline } from './jsonata-inline';

export { JSONATA_LIMITS, jsonataTruthy, toPlainJson } from './jsonata-engine';
export { warmJsonataPool } from '../sandbox/jsonata-pool';

export interface JsonataCallOptions {
  /** Config path named in errors, e.g. `config.expression`. */
  path?: string;
  /** Cancels the evaluation (the worker running it is terminated). */
  signal?: AbortSignal;
}

/**
 * Evaluate `expression` against `input` (`$`) and return the result as plain JSON
 * (sequences become arrays, `undefined` null; a function result is an error). With
 * `bindInputs`, each key of the input object is also bound as `$name`.
 */
export function evaluateJsonata(
  expression: string,
  input: unknown,
  opts: JsonataCallOptions & { bindInputs?: boolean } = {},
): Promise<unknown> {
  const bindings =
    opts.bindInputs && input && typeof input === 'object' ? (input as Record<string, unknown>) : undefined;
  if (runsInline(expression, input)) return evaluateInThread(expression, input, bindings, 'json', opts.path);
  return evaluateInPool(expression, input, opts.bindInputs ? 'input' : undefined, 'json', opts.path, opts.signal);
}

/** Evaluate `expression` against `input` and return its JSONata truthiness (as `$boolean`). */
export async function testJsonata(expression: string, input: unknown, opts: JsonataCallOptions = {}): Promise<boolean> {
  if (runsInline(expression, input))
    return (await evaluateInThread(expression, input, undefined, 'truthy', opts.path)) === true;
  return (await evaluateInPool(expression, input, undefined, 'truthy', opts.path, opts.signal)) === true;
}
