/**
 * What subflow, map and loop nodes share: a `flow` config field naming another flow, and
 * ports derived from that flow's declared inputs and outputs.
 */
import { z } from 'zod';
import { safeId, type FlowIO } from '../flow/schema';
import type { PortSpec } from '../ports';
import type { FlowInterface, NodeConfigProblem, PortContext } from './define';

/** The `flow` field: the id of a flow in the same flows folder (or snapshot). */
export const flowIdField = safeId
  .describe('Id of the flow to run (a flow in the same flows folder).')
  .meta({ widget: 'flow' });

/** The referenced flow's interface; undefined when unknown (the node's `check` reports it). */
export function calledFlow(id: string, ctx: PortContext): FlowInterface | undefined {
  return ctx.flows?.(id);
}

/** A child flow input as a port: required unless it is optional or has a default. */
export function inputPort(io: FlowIO): PortSpec {
  return {
    name: io.name,
    type: io.type,
    required: io.required === true && io.default === undefined,
    ...(io.description !== undefined ? { description: io.description } : {}),
  };
}

export function outputPort(io: FlowIO): PortSpec {
  return { name: io.name, type: io.type, ...(io.description !== undefined ? { description: io.description } : {}) };
}

export function unknownFlowProblem(id: string, ctx: PortContext): NodeConfigProblem[] {
  if (calledFlow(id, ctx)) return [];
  return [{ code: 'unknown_flow', path: ['flow'], message: `unknown flow "${id}": there is no flow with this id` }];
}

export const flowRef = (config: { flow: string }): Array<{ flow: string; path: Array<string | number> }> => [
  { flow: config.flow, path: ['flow'] },
];

/** The input of the called flow that receives each map item: `itemInput`, else its first input. */
export function itemInputName(config: { itemInput?: string }, child: FlowInterface): string | undefined {
  return config.itemInput ?? child.inputs[0]?.name;
}

export const concurrencyField = z.number().int().min(1).max(256);
