import type { z } from 'zod';
import type { NodeTypeDefinition, PortContext } from './define';
import type { PortSpec } from '../ports';
import { inputNode, outputNode } from './io';
import { promptNode } from './prompt';
import { retrievalNode } from './retrieval';
import { toolNode } from './tool';
import { validatorNode } from './validator';
import { conditionNode, transformNode } from './logic';
import { subflowNode } from './subflow';
import { mapNode } from './map';
import { loopNode } from './loop';
import { agentNode } from './agent';
import { humanNode } from './human';

/** The static registry of node types: one line per type. */
export const nodeTypes = {
  input: inputNode,
  output: outputNode,
  prompt: promptNode,
  retrieval: retrievalNode,
  tool: toolNode,
  validator: validatorNode,
  condition: conditionNode,
  transform: transformNode,
  subflow: subflowNode,
  map: mapNode,
  loop: loopNode,
  agent: agentNode,
  human: humanNode,
} as const;

export type NodeTypeId = keyof typeof nodeTypes;
export type NodeConfig<T extends NodeTypeId> = z.output<(typeof nodeTypes)[T]['config']>;

export function isNodeTypeId(type: string): type is NodeTypeId {
  return Object.prototype.hasOwnProperty.call(nodeTypes, type);
}

export function getNodeType(type: string): NodeTypeDefinition | undefined {
  return isNodeTypeId(type) ? (nodeTypes[type] as unknown as NodeTypeDefinition) : undefined;
}

export interface ResolvedPorts {
  inputs: PortSpec[];
  outputs: PortSpec[];
}

/**
 * Parse a node's config with its type's defaults. Returns `undefined` config when the
 * type is unknown or the config is invalid (validation reports why).
 */
export function parseNodeConfig(
  type: string,
  config: unknown,
): { ok: true; config: unknown } | { ok: false; error: z.ZodError | null } {
  const def = getNodeType(type);
  if (!def) return { ok: false, error: null };
  const res = def.config.safeParse(config ?? {});
  return res.success ? { ok: true, config: res.data } : { ok: false, error: res.error };
}

/** The flows a node runs (subflow, map, loop…), with the config path naming each; [] for other nodes. */
export function nodeFlowRefs(type: string, config: unknown): Array<{ flow: string; path: Array<string | number> }> {
  const def = getNodeType(type);
  if (!def?.flowRefs) return [];
  const parsed = def.config.safeParse(config ?? {});
  return parsed.success ? def.flowRefs(parsed.data) : [];
}

/** A node's ports given its config; empty when the type is unknown or its config invalid. */
export function nodePorts(type: string, config: unknown, ctx: PortContext): ResolvedPorts {
  const def = getNodeType(type);
  if (!def) return { inputs: [], outputs: [] };
  const parsed = def.config.safeParse(config ?? {});
  if (!parsed.success) return { inputs: [], outputs: [] };
  return { inputs: def.inputs(parsed.data, ctx), outputs: def.outputs(parsed.data, ctx) };
}
