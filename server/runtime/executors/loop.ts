import type { NodeConfig } from '../../../shared';
import { evaluateJsonata, jsonataTruthy } from '../jsonata';
import { NodeError, type Executor } from '../types';
import { absentOutputs, calledFlow, childFailure, childRunner, definedInputs, waitOnChild } from './child';

/**
 * Run the called flow repeatedly: each iteration's outputs feed the next iteration's inputs
 * of the same name; stop when `until` (JSONata over the outputs) holds or at `maxIterations`.
 */
export const loopExecutor: Executor<NodeConfig<'loop'>> = async (ctx) => {
  const { flow: flowId, until, maxIterations, onMax } = ctx.config;
  const runChild = childRunner(ctx);
  const flow = await calledFlow(ctx, flowId);
  const inputNames = new Set(flow.inputs.map((i) => i.name));
  let inputs = definedInputs(ctx.inputs);
  const runIds: string[] = [];
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    const res = await runChild(flowId, inputs, { iteration });
    runIds.push(res.runId);
    ctx.setMeta({ iterations: iteration + 1, childRunIds: runIds });
    if (res.status === 'waiting') waitOnChild(`iteration ${iteration + 1} of flow "${flowId}"`);
    if (res.status !== 'succeeded') throw childFailure(res, flowId, `iteration ${iteration + 1} of flow`);
    ctx.emitProgress({ iteration: iteration + 1, maxIterations });
    const outputs = res.outputs;
    const last = iteration + 1 === maxIterations;
    const done =
      until !== undefined &&
      jsonataTruthy(
        await evaluateJsonata(until, outputs, { bindInputs: true, path: 'config.until', signal: ctx.signal }),
      );
    if (done || (last && onMax === 'last')) {
      const skipPorts = absentOutputs(flow, outputs);
      ctx.setMeta({ stoppedBy: done ? 'until' : 'maxIterations' });
      return { outputs: { ...outputs, iterations: iteration + 1 }, ...(skipPorts.length > 0 ? { skipPorts } : {}) };
    }
    if (last) break;
    const next = { ...inputs };
    for (const [name, value] of Object.entries(outputs))
      if (inputNames.has(name) && value !== undefined) next[name] = value;
    inputs = next;
  }
  throw new NodeError(
    'loop_max_iterations',
    `"until" (${until ?? 'none'}) still did not hold after ${maxIterations} iteration(s) of flow "${flowId}"`,
    { path: until === undefined ? 'config.maxIterations' : 'config.until' },
  );
};
