import { z } from 'zod';
import { defineNodeType } from './define';
import { calledFlow, flowIdField, flowRef, inputPort, outputPort, unknownFlowProblem } from './flow-call';

export const subflowConfig = z.object({ flow: flowIdField }).strict();

export const subflowNode = defineNodeType({
  type: 'subflow',
  title: 'Subflow',
  category: 'Flow',
  icon: 'workflow',
  docs: "Run another flow once, as a child run of this one. The node's input and output ports are the called flow's declared inputs and outputs (same names and types); the child's trace is its own run, linked to this node. A flow may not call itself, directly or through other flows.",
  config: subflowConfig,
  inputs: (config, ctx) => calledFlow(config.flow, ctx)?.inputs.map(inputPort) ?? [],
  outputs: (config, ctx) => calledFlow(config.flow, ctx)?.outputs.map(outputPort) ?? [],
  flowRefs: flowRef,
  defaultTimeoutMs: 0,
  check: (config, ctx) => unknownFlowProblem(config.flow, ctx),
  example: { flow: 'summarise-document' },
});
