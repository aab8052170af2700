import type { NodeConfig } from '../../../shared';
import type { Executor } from '../types';

/** The input node passes on the run's inputs (already checked, defaults applied). */
export const inputExecutor: Executor<NodeConfig<'input'>> = async (ctx) => ({ outputs: { ...ctx.runInputs } });
