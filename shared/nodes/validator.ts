import { z } from 'zod';
import { defineNodeType } from './define';
import type { PortSpec } from '../ports';
import { USER_REGEX_FLAGS, userRegexProblem } from '../regex';

export const validatorRuleSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }).strict(),
  z
    .object({
      kind: z.literal('regex'),
      pattern: z.string().min(1).max(10_000),
      flags: z.string().regex(USER_REGEX_FLAGS).default(''),
    })
    .strict()
    .superRefine((rule, ctx) => {
      // Compiling matches nothing. Patterns run on RE2 (linear time, no ReDoS), which has no
      // lookarounds or backreferences: refuse those here rather than at run time.
      const problem = userRegexProblem(rule.pattern, rule.flags);
      if (problem) ctx.addIssue({ code: 'custom', path: ['pattern'], message: problem });
    }),
  z
    .object({ kind: z.literal('contains'), value: z.string().min(1), caseSensitive: z.boolean().default(false) })
    .strict(),
  z
    .object({ kind: z.literal('not_contains'), value: z.string().min(1), caseSensitive: z.boolean().default(false) })
    .strict(),
  z
    .object({
      kind: z.literal('length'),
      min: z.number().int().min(0).optional(),
      max: z.number().int().min(0).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('enum'), values: z.array(z.unknown()).min(1) }).strict(),
  z
    .object({
      kind: z.literal('pii'),
      detect: z
        .array(z.enum(['email', 'phone', 'card']))
        .min(1)
        .default(['email', 'phone', 'card']),
    })
    .strict(),
  z.object({ kind: z.literal('prompt_injection') }).strict(),
]);
export type ValidatorRule = z.output<typeof validatorRuleSchema>;

export const validatorConfig = z
  .object({
    rules: z.array(validatorRuleSchema).min(1),
    /**
     * What happens when a rule fails: `error` fails the node; `fallback` outputs `fallback`
     * instead; `route` sends `{ value, errors }` to the `fail` port (and skips `value`);
     * `reask` re-runs the upstream node of `value` with the errors appended, up to `maxReasks` times.
     */
    onFail: z.enum(['error', 'fallback', 'route', 'reask']).default('error'),
    fallback: z.unknown().optional(),
    maxReasks: z.number().int().min(1).max(5).default(2),
    /** Parse a string value as JSON before checking (useful for JSON schema rules on raw text). */
    parseJson: z.boolean().default(false),
  })
  .strict();
export type ValidatorConfig = z.output<typeof validatorConfig>;

/** One rule in a few words (the canvas preview). */
function ruleLabel(rule: ValidatorRule): string {
  switch (rule.kind) {
    case 'json_schema':
      return 'JSON schema';
    case 'regex':
      return `/${rule.pattern}/`;
    case 'contains':
      return `contains "${rule.value}"`;
    case 'not_contains':
      return `not "${rule.value}"`;
    case 'length':
      return `length ${rule.min ?? 0}–${rule.max ?? '∞'}`;
    case 'enum':
      return `one of ${rule.values.length}`;
    case 'pii':
      return 'no PII';
    case 'prompt_injection':
      return 'no prompt injection';
  }
}

export const validatorNode = defineNodeType({
  type: 'validator',
  title: 'Validator',
  category: 'Guardrails',
  icon: 'shield-check',
  docs: 'Check a value against rules: JSON schema, regex (JavaScript syntax run on the linear-time RE2 engine, so no pattern can hang a run; lookarounds and backreferences are refused), contains / not-contains, length, enum, PII (emails, phone numbers, card numbers with a Luhn check) and prompt-injection heuristics. On failure: raise an error, output a fallback value, route `{ value, errors }` to the `fail` port, or re-ask the upstream node (usually a prompt) with the errors appended, up to `maxReasks` times. Passing values leave through `value`.',
  config: validatorConfig,
  inputs: () => [{ name: 'value', type: 'any', required: true }],
  outputs: (config): PortSpec[] => {
    const out: PortSpec[] = [{ name: 'value', type: 'any' }];
    if (config.onFail === 'route') out.push({ name: 'fail', type: 'json' });
    return out;
  },
  editors: { 'rules.schema': 'json' },
  preview: (config) => `${config.rules.map(ruleLabel).join(', ')}\non fail: ${config.onFail}`,
  example: { rules: [{ kind: 'length', max: 500 }], onFail: 'error' },
});
