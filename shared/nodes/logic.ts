import { z } from 'zod';
import { defineNodeType } from './define';
import { declaredInputSchema } from './tool';
import { templateVariables, SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE } from '../template';
import type { PortSpec } from '../ports';

export const conditionConfig = z
  .object({
    /** Checked in order; the first whose JSONata expression is truthy is taken. */
    branches: z
      .array(
        z
          .object({
            name: z.string().regex(SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE),
            when: z.string().min(1),
          })
          .strict(),
      )
      .min(1),
    /** Port taken when no branch matches. */
    otherwise: z.string().regex(SAFE_VARIABLE, SAFE_VARIABLE_MESSAGE).default('otherwise'),
  })
  .strict();

export const conditionNode = defineNodeType({
  type: 'condition',
  title: 'Condition',
  category: 'Logic',
  icon: 'git-branch',
  docs: 'Route the `input` value to exactly one branch. Each branch has a JSONata expression evaluated against the input (`$` is the input); the first truthy one is taken, else `otherwise`. Nodes that only hang off untaken branches are skipped, not failed. When several edges enter the same port, the first one whose source was not skipped provides the value, which merges branches back together.',
  config: conditionConfig,
  inputs: () => [{ name: 'input', type: 'any', required: true }],
  outputs: (config): PortSpec[] => [
    ...config.branches.map((b) => ({ name: b.name, type: 'any' as const })),
    ...(config.branches.some((b) => b.name === config.otherwise)
      ? []
      : [{ name: config.otherwise, type: 'any' as const }]),
  ],
  editors: { 'branches.when': 'jsonata' },
  preview: (config) => [...config.branches.map((b) => `${b.name}: ${b.when}`), `else: ${config.otherwise}`].join('\n'),
  example: { branches: [{ name: 'billing', when: "$contains($lowercase($), 'invoice')" }], otherwise: 'otherwise' },
});

export const transformConfig = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('template'), template: z.string() }).strict(),
  z
    .object({
      mode: z.literal('jsonata'),
      expression: z.string().min(1),
      inputs: z.array(declaredInputSchema).default([{ name: 'input', type: 'any', required: true }]),
    })
    .strict(),
]);

export const transformNode = defineNodeType({
  type: 'transform',
  title: 'Transform',
  category: 'Logic',
  icon: 'shuffle',
  docs: 'Reshape data. `mode: "template"` renders a mustache template (its variables become input ports) into a string `result`. `mode: "jsonata"` evaluates a JSONata expression over an object of the declared inputs (`input` by default) into a JSON `result`.',
  config: transformConfig,
  inputs: (config): PortSpec[] => {
    if (config.mode === 'jsonata')
      return config.inputs.map((i) => ({ name: i.name, type: i.type, required: i.required }));
    let vars: ReturnType<typeof templateVariables> = [];
    try {
      vars = templateVariables(config.template);
    } catch {
      vars = [];
    }
    return vars
      .filter((v) => SAFE_VARIABLE.test(v.name))
      .map((v) => ({ name: v.name, type: 'any' as const, required: true }));
  },
  outputs: (config): PortSpec[] => [{ name: 'result', type: config.mode === 'template' ? 'string' : 'json' }],
  editors: { template: 'mustache', expression: 'jsonata' },
  preview: (config) => (config.mode === 'template' ? config.template : config.expression),
  example: { mode: 'template', template: 'Q: {{question}}' },
});
