import type { NodeConfig } from '../../../shared';
import type { Executor } from '../types';
import { absentOutputs, calledFlow, childFailure, childRunner, definedInputs, waitOnChild } from './child';

/**
 * Run the called flow once as a child run. Its outputs become the node's; an output the
 * child left out (untaken branch) is a skipped port here, so the skip propagates.
 */
export const subflowExecutor: Executor<NodeConfig<'subflow'>> = async (ctx) => {
  const runChild = childRunner(ctx);
  const flow = await calledFlow(ctx, ctx.config.flow);
  const res = await runChild(ctx.config.flow, definedInputs(ctx.inputs));
  ctx.setMeta({ childRunId: res.runId });
  if (res.status === 'waiting') waitOnChild(`flow "${ctx.config.flow}" (run ${res.runId})`);
  if (res.status !== 'succeeded') throw childFailure(res, ctx.config.flow);
  ctx.setMeta({ childRunId: res.runId });
  const skipPorts = absentOutputs(flow, res.outputs);
  return { outputs: res.outputs, ...(skipPorts.length > 0 ? { skipPorts } : {}) };
};
