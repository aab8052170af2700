/**
 * Flows that call flows: which flows a flow references (subflow, map, loop…) and the
 * cross-flow cycles among a set of flows. Pure; the server's flow loader builds the
 * closure from files or a snapshot, the canvas from the flows list.
 */
import { nodeFlowRefs } from '../nodes/registry';
import { findCycles, formatCycle } from './graph';
import type { FlowNode } from './schema';

export interface FlowReference {
  /** The referenced flow id. */
  flow: string;
  nodeId: string;
  nodeIndex: number;
  /** JSON path of the field naming the flow, e.g. `nodes[3].config.flow`. */
  path: string;
}

/** Every flow reference of a flow's nodes, in node order (invalid configs contribute none). */
export function flowReferences(flow: {
  nodes: ReadonlyArray<Pick<FlowNode, 'id' | 'type' | 'config'>>;
}): FlowReference[] {
  const out: FlowReference[] = [];
  flow.nodes.forEach((node, nodeIndex) => {
    for (const ref of nodeFlowRefs(node.type, node.config)) {
      const path = ['config', ...ref.path].map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('');
      out.push({ flow: ref.flow, nodeId: node.id, nodeIndex, path: `nodes[${nodeIndex}]${path}` });
    }
  });
  return out;
}

/**
 * Elementary cycles among flows (A → B → A), each as the list of flow ids on it, starting
 * from the first id of `flowIds` that is on it. `refs(id)` lists the flows `id` references.
 */
export function flowCycles(flowIds: readonly string[], refs: (id: string) => readonly string[]): string[][] {
  const edges = flowIds.flatMap((source) => refs(source).map((target) => ({ source, target })));
  return findCycles(flowIds, edges, { limit: 20 }).cycles;
}

/** `a → b → a`. */
export const formatFlowCycle = formatCycle;
