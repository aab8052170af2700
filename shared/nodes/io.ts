import { z } from 'zod';
import { defineNodeType } from './define';

export const inputNode = defineNodeType({
  type: 'input',
  title: 'Inputs',
  category: 'Flow',
  icon: 'log-in',
  docs: "The flow's inputs. It has one output port per input declared in the flow's `inputs` list; a run supplies their values (missing optional inputs take their `default`).",
  config: z.object({}).strict(),
  inputs: () => [],
  outputs: (_c, { flow }) => flow.inputs.map((i) => ({ name: i.name, type: i.type, description: i.description })),
});

export const outputNode = defineNodeType({
  type: 'output',
  title: 'Outputs',
  category: 'Flow',
  icon: 'log-out',
  docs: "The flow's outputs. It has one input port per output declared in the flow's `outputs` list; what arrives there is the run's result. An output whose branch was not taken is left out of the result.",
  config: z.object({}).strict(),
  inputs: (_c, { flow }) =>
    flow.outputs.map((o) => ({ name: o.name, type: o.type, required: false, description: o.description })),
  outputs: () => [],
});
