/**
 * The real executors of every node type that needs no model provider or network (for
 * tests and benchmarks): input, output, transform, condition, validator, retrieval, subflow,
 * map, loop, and tool with kind `code` only.
 */
import type { ExecutorLookup } from './scheduler';
import { NodeError, type Executor } from './types';
import { inputExecutor } from './executors/input';
import { outputExecutor } from './executors/output';
import { transformExecutor } from './executors/transform';
import { conditionExecutor } from './executors/condition';
import { validatorExecutor } from './executors/validator';
import { retrievalExecutor } from './executors/retrieval';
import { codeToolExecutor } from './executors/tool-code';
import { subflowExecutor } from './executors/subflow';
import { mapExecutor } from './executors/map';
import { loopExecutor } from './executors/loop';
import type { NodeConfig } from '../../shared';
import type { CodeToolConfig } from '../../shared/nodes/tool';

const codeOnlyTool: Executor<NodeConfig<'tool'>> = async (ctx) => {
  if (ctx.config.kind !== 'code') throw new NodeError('unsupported', 'only code tools are available here');
  return codeToolExecutor(ctx as Parameters<Executor<CodeToolConfig>>[0]);
};

export const coreExecutors: ExecutorLookup = {
  input: inputExecutor,
  output: outputExecutor,
  transform: transformExecutor,
  condition: conditionExecutor,
  validator: validatorExecutor,
  retrieval: retrievalExecutor,
  tool: codeOnlyTool,
  subflow: subflowExecutor,
  map: mapExecutor,
  loop: loopExecutor,
};
