import type { NodeConfig } from '../../../shared';
import type { CodeToolConfig, HttpToolConfig } from '../../../shared/nodes/tool';
import type { Executor, NodeContext } from '../types';
import { codeToolExecutor } from './tool-code';
import { httpToolExecutor } from './tool-http';

/** The tool node: dispatch on `config.kind`. */
export const toolExecutor: Executor<NodeConfig<'tool'>> = async (ctx) => {
  const config = ctx.config;
  if (config.kind === 'code') return codeToolExecutor(ctx as NodeContext<CodeToolConfig>);
  return httpToolExecutor(ctx as NodeContext<HttpToolConfig>);
};
