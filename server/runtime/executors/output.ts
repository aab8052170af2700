import type { NodeConfig } from '../../../shared';
import type { Executor } from '../types';

/** The output node collects what reached its ports; those become the run's outputs. */
export const outputExecutor: Executor<NodeConfig<'output'>> = async (ctx) => {
  const collected: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(ctx.inputs)) if (value !== undefined) collected[name] = value;
  return { outputs: {}, runOutputs: collected };
};
