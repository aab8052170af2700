import { renderTemplate, type NodeConfig } from '../../../shared';
import { evaluateJsonata } from '../jsonata';
import { NodeError, type Executor } from '../types';

/** Reshape data: a mustache template into a string, or a JSONata expression into JSON. */
export const transformExecutor: Executor<NodeConfig<'transform'>> = async (ctx) => {
  const config = ctx.config;
  if (config.mode === 'template') {
    let result: string;
    try {
      result = renderTemplate(config.template, ctx.inputs);
    } catch (err) {
      throw new NodeError('template_error', `template error: ${(err as Error).message}`, {
        path: 'config.template',
        cause: err,
      });
    }
    return { outputs: { result } };
  }
  // `$` is the object of declared inputs; each input is also bound as `$name`.
  const result = await evaluateJsonata(config.expression, ctx.inputs, {
    bindInputs: true,
    path: 'config.expression',
    signal: ctx.signal,
  });
  return { outputs: { result } };
};
