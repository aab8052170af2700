/**
 * Small flows for composition tests and benchmarks: a child that transforms one item, a
 * parent that maps / calls / loops over it, and an in-memory flow resolver.
 */
import type { Flow, FlowEdge, FlowIO, FlowNode } from '../../shared';
import type { FlowResolver } from './types';

const at = { x: 0, y: 0 };

/** A flow `id` with inputs, outputs and nodes between an input and an output node. */
export function makeFlow(
  id: string,
  inputs: FlowIO[],
  outputs: FlowIO[],
  nodes: FlowNode[],
  edges: Array<[string, string, string, string]>,
): Flow {
  return {
    schemaVersion: 1,
    id,
    name: id,
    inputs,
    outputs,
    nodes: [
      { id: 'inputs', type: 'input', position: at },
      ...nodes.map((n) => ({ ...n, position: at })),
      { id: 'outputs', type: 'output', position: at },
    ],
    edges: edges.map(([source, sourcePort, target, targetPort]): FlowEdge => ({
      source,
      sourcePort,
      target,
      targetPort,
    })),
  };
}

export function node(id: string, type: string, config: Record<string, unknown>): FlowNode {
  return { id, type, position: at, config };
}

/** Child: `text` → `$uppercase(text) & suffix` (JSONata), one transform node. */
export function upperFlow(id = 'upper', expression = 'input & "!"'): Flow {
  return makeFlow(
    id,
    [{ name: 'text', type: 'any', required: true }],
    [{ name: 'out', type: 'any' }],
    [node('t', 'transform', { mode: 'jsonata', expression })],
    [
      ['inputs', 'text', 't', 'input'],
      ['t', 'result', 'outputs', 'out'],
    ],
  );
}

/** Parent: map `items` (a list input) over `child`, returning its `out` list and `errors`. */
export function mapFlow(child: string, config: Record<string, unknown> = {}, id = 'parent'): Flow {
  return makeFlow(
    id,
    [{ name: 'items', type: 'list', required: true }],
    [
      { name: 'outs', type: 'list' },
      { name: 'errors', type: 'list' },
    ],
    [node('each', 'map', { flow: child, ...config })],
    [
      ['inputs', 'items', 'each', 'items'],
      ['each', 'out', 'outputs', 'outs'],
      ['each', 'errors', 'outputs', 'errors'],
    ],
  );
}

/** A resolver over in-memory flows, counting look-ups. */
export function memoryFlows(...flows: Flow[]): FlowResolver & { gets: number } {
  const byId = new Map(flows.map((f) => [f.id, f]));
  const r = {
    gets: 0,
    get(id: string): Promise<Flow | undefined> {
      r.gets++;
      return Promise.resolve(byId.get(id));
    },
  };
  return r;
}
