/**
 * Executors by node type. A node type without an executor fails to compile here.
 */
import type { ExecutorMap } from '../types';
import { inputExecutor } from './input';
import { outputExecutor } from './output';
import { promptExecutor } from './prompt';
import { retrievalExecutor } from './retrieval';
import { toolExecutor } from './tool';
import { validatorExecutor } from './validator';
import { conditionExecutor } from './condition';
import { transformExecutor } from './transform';
import { subflowExecutor } from './subflow';
import { mapExecutor } from './map';
import { loopExecutor } from './loop';
import { agentExecutor } from './agent';
import { humanExecutor } from './human';

export const executors = {
  input: inputExecutor,
  output: outputExecutor,
  prompt: promptExecutor,
  retrieval: retrievalExecutor,
  tool: toolExecutor,
  validator: validatorExecutor,
  condition: conditionExecutor,
  transform: transformExecutor,
  subflow: subflowExecutor,
  map: mapExecutor,
  loop: loopExecutor,
  agent: agentExecutor,
  human: humanExecutor,
} satisfies ExecutorMap;

export {
  inputExecutor,
  outputExecutor,
  promptExecutor,
  retrievalExecutor,
  toolExecutor,
  validatorExecutor,
  conditionExecutor,
  transformExecutor,
  subflowExecutor,
  mapExecutor,
  loopExecutor,
  agentExecutor,
  humanExecutor,
};
export { codeToolExecutor } from './tool-code';
