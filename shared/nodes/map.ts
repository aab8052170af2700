import { z } from 'zod';
import { SAFE_NAME } from '../flow/schema';
import type { PortSpec } from '../ports';
import { defineNodeType, type NodeConfigProblem } from './define';
import {
  calledFlow,
  concurrencyField,
  flowIdField,
  flowRef,
  inputPort,
  itemInputName,
  unknownFlowProblem,
} from './flow-call';

export const mapConfig = z
  .object({
    flow: flowIdField,
    /** The called flow's input that receives each item (default: its first input). */
    itemInput: z.string().regex(SAFE_NAME, 'must be the name of an input of the called flow').optional(),
    /** Items in flight at once. */
    concurrency: concurrencyField.default(4),
    /** `fail`: the node fails at the first failed item; `null`: null in its place; `drop`: left out. */
    onItemError: z.enum(['fail', 'null', 'drop']).default('fail'),
  })
  .strict();

export const mapNode = defineNodeType({
  type: 'map',
  title: 'Map',
  category: 'Flow',
  icon: 'list-tree',
  docs: "Run another flow once per element of the `items` list, up to `concurrency` at a time, each as its own child run. Each item goes to the called flow's input `itemInput` (default: its first input); the node's other input ports are the called flow's other inputs, passed unchanged to every item. There is one output list per output of the called flow, in the order of `items`, plus `errors`: `[{ index, error }]` for the items that failed. `onItemError`: `fail` (default) fails the node at the first failed item and cancels the rest; `null` puts `null` in a failed item's place; `drop` leaves it out of every output list. Progress (`{ done, failed, total }`) streams as `node_progress` events.",
  config: mapConfig,
  inputs: (config, ctx): PortSpec[] => {
    const child = calledFlow(config.flow, ctx);
    const items: PortSpec = { name: 'items', type: 'list', required: true, description: 'One child run per element' };
    if (!child) return [items];
    const itemInput = itemInputName(config, child);
    return [items, ...child.inputs.filter((i) => i.name !== itemInput).map(inputPort)];
  },
  outputs: (config, ctx): PortSpec[] => [
    ...(calledFlow(config.flow, ctx)?.outputs.map((o) => ({
      name: o.name,
      type: 'list' as const,
      description: `${o.name} of each item, in item order`,
    })) ?? []),
    { name: 'errors', type: 'list', description: 'The failed items: [{ index, error }]' },
  ],
  flowRefs: flowRef,
  defaultTimeoutMs: 0,
  check: (config, ctx): NodeConfigProblem[] => {
    const child = calledFlow(config.flow, ctx);
    if (!child) return unknownFlowProblem(config.flow, ctx);
    if (config.itemInput !== undefined && !child.inputs.some((i) => i.name === config.itemInput)) {
      const names = child.inputs.map((i) => `"${i.name}"`).join(', ') || 'none';
      return [
        {
          code: 'invalid_config',
          path: ['itemInput'],
          message: `flow "${config.flow}" has no input "${config.itemInput}" (it has ${names})`,
        },
      ];
    }
    if (child.inputs.length === 0)
      return [
        {
          code: 'invalid_config',
          path: ['flow'],
          message: `flow "${config.flow}" declares no inputs, so it cannot receive the items`,
        },
      ];
    return [];
  },
  example: { flow: 'summarise-document', concurrency: 4, onItemError: 'fail' },
});
