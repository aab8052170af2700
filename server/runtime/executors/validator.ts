import type { NodeConfig } from '../../../shared';
import { checkRules, type RuleError } from '../validator/rules';
import { NodeError, type Executor } from '../types';

function summary(errors: RuleError[]): string {
  return errors
    .map((e) => (e.rule < 0 ? `- ${e.message}` : `- rule ${e.rule + 1} (${e.kind}): ${e.message}`))
    .join('\n');
}

/**
 * Check `value` against every rule. Passing values leave through `value`. On failure:
 * `error` fails the node, `fallback` outputs the fallback value, `route` sends
 * `{ value, errors }` to `fail` (skipping `value`), `reask` asks the scheduler to re-run the
 * node feeding `value` with the errors (up to `maxReasks` times).
 */
export const validatorExecutor: Executor<NodeConfig<'validator'>> = async (ctx) => {
  const config = ctx.config;
  let value = ctx.inputs.value;
  const parseErrors: RuleError[] = [];
  if (config.parseJson && typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (err) {
      parseErrors.push({ rule: -1, kind: 'parse_json', message: `not valid JSON: ${(err as Error).message}` });
    }
  }
  const outcome = parseErrors.length > 0 ? { errors: parseErrors, meta: {} } : checkRules(value, config.rules);
  const errors = outcome.errors;
  ctx.setMeta({ ...outcome.meta, validation: { passed: errors.length === 0, errors } });
  const passPorts = config.onFail === 'route' ? ['fail'] : [];
  if (errors.length === 0) return { outputs: { value }, skipPorts: passPorts };

  const message = `The output failed validation:\n${summary(errors)}`;
  switch (config.onFail) {
    case 'error':
      throw new NodeError('validation_failed', message, { path: 'inputs.value' });
    case 'fallback':
      ctx.setMeta({ fallbackUsed: true });
      return { outputs: { value: config.fallback ?? null }, skipPorts: passPorts };
    case 'route':
      return { outputs: { fail: { value, errors } }, skipPorts: ['value'] };
    case 'reask':
      return { outputs: {}, reask: { port: 'value', message, maxAttempts: config.maxReasks } };
  }
};
