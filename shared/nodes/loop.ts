import { z } from 'zod';
import type { PortSpec } from '../ports';
import { defineNodeType } from './define';
import { calledFlow, flowIdField, flowRef, inputPort, outputPort, unknownFlowProblem } from './flow-call';

export const loopConfig = z
  .object({
    flow: flowIdField,
    /** JSONata over the iteration's outputs; the loop stops after the first iteration where it is truthy. */
    until: z.string().min(1).optional(),
    maxIterations: z.number().int().min(1).max(1000).default(5),
    /** At `maxIterations` without `until` holding: `last` returns the last outputs, `fail` fails the node. */
    onMax: z.enum(['last', 'fail']).default('last'),
  })
  .strict();

export const loopNode = defineNodeType({
  type: 'loop',
  title: 'Loop',
  category: 'Flow',
  icon: 'repeat',
  docs: "Run another flow again and again, each iteration a child run. The first iteration takes the node's inputs (the called flow's inputs); each next one takes the previous iteration's outputs for inputs of the same name, the other inputs unchanged. After each iteration the JSONata expression `until` is evaluated over that iteration's outputs (`$` is the object of outputs); the loop stops when it is truthy. At `maxIterations` (default 5) without `until` holding, `onMax: \"last\"` (default) returns the last iteration's outputs and `\"fail\"` fails the node. Outputs: the called flow's outputs from the last iteration, plus `iterations` (how many ran).",
  config: loopConfig,
  inputs: (config, ctx) => calledFlow(config.flow, ctx)?.inputs.map(inputPort) ?? [],
  outputs: (config, ctx): PortSpec[] => [
    ...(calledFlow(config.flow, ctx)?.outputs.map(outputPort) ?? []),
    { name: 'iterations', type: 'number', description: 'How many iterations ran' },
  ],
  flowRefs: flowRef,
  defaultTimeoutMs: 0,
  check: (config, ctx) => unknownFlowProblem(config.flow, ctx),
  editors: { until: 'jsonata' },
  example: { flow: 'refine-answer', until: 'verdict = "ok"', maxIterations: 4, onMax: 'last' },
});
