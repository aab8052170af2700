import type { NodeConfig } from '../../../shared';
import { testJsonata } from '../jsonata';
import type { Executor } from '../types';

/**
 * Route the input to the first branch whose JSONata expression is truthy (`$` is the
 * input), else to `otherwise`. Every other branch port is skipped.
 */
export const conditionExecutor: Executor<NodeConfig<'condition'>> = async (ctx) => {
  const { branches, otherwise } = ctx.config;
  const input = ctx.inputs.input;
  let taken = otherwise;
  for (let k = 0; k < branches.length; k++) {
    const path = `config.branches.${k}.when`;
    if (await testJsonata(branches[k].when, input, { path, signal: ctx.signal })) {
      taken = branches[k].name;
      break;
    }
  }
  const ports = new Set([...branches.map((b) => b.name), otherwise]);
  ports.delete(taken);
  ctx.setMeta({ branch: taken });
  return { outputs: { [taken]: input }, skipPorts: [...ports] };
};
