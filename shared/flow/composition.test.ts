import { describe, expect, it } from 'vitest';
import { validateFlow, type FlowInterface } from '../index';
import { flowCycles, flowReferences } from './closure';
import { portTypesCompatible } from '../ports';

const summarise: FlowInterface = {
  inputs: [
    { name: 'document', type: 'any', required: true },
    { name: 'language', type: 'string', default: '日本語' },
  ],
  outputs: [{ name: 'summary', type: 'string' }],
};
const flows = (id: string): FlowInterface | undefined => (id === 'summarise' ? summarise : undefined);

function flowWith(node: Record<string, unknown>, edges: unknown[] = []): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id: 'parent',
    name: '親フロー',
    inputs: [{ name: 'question', type: 'string', required: true }],
    outputs: [{ name: 'summaries', type: 'list' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      { id: 'docs', type: 'retrieval', position: { x: 0, y: 0 }, config: { knowledgeBase: 'kb' } },
      { id: 'each', position: { x: 0, y: 0 }, ...node },
      { id: 'outputs', type: 'output', position: { x: 0, y: 0 } },
    ],
    edges: [{ source: 'inputs', sourcePort: 'question', target: 'docs', targetPort: 'query' }, ...edges],
  };
}

describe('list port type', () => {
  it('documents and messages flow into list; list does not flow into documents', () => {
    expect(portTypesCompatible('documents', 'list')).toBe(true);
    expect(portTypesCompatible('messages', 'list')).toBe(true);
    expect(portTypesCompatible('list', 'documents')).toBe(false);
    expect(portTypesCompatible('string', 'list')).toBe(false);
    expect(portTypesCompatible('list', 'any')).toBe(true);
  });
});

describe('map / subflow / loop ports from the called flow', () => {
  const mapEdges = [
    { source: 'docs', sourcePort: 'documents', target: 'each', targetPort: 'items' },
    { source: 'each', sourcePort: 'summary', target: 'outputs', targetPort: 'summaries' },
  ];

  it('a map over retrieval documents is valid; its outputs are lists', () => {
    const res = validateFlow(flowWith({ type: 'map', config: { flow: 'summarise' } }, mapEdges), { flows });
    expect(res.problems.filter((p) => p.severity === 'error')).toEqual([]);
  });

  it('the item input is not a port; the other inputs of the called flow are', () => {
    const edges = [...mapEdges, { source: 'inputs', sourcePort: 'question', target: 'each', targetPort: 'document' }];
    const res = validateFlow(flowWith({ type: 'map', config: { flow: 'summarise' } }, edges), { flows });
    expect(res.problems.map((p) => p.code)).toContain('dangling_edge');
    const ok = [...mapEdges, { source: 'inputs', sourcePort: 'question', target: 'each', targetPort: 'language' }];
    expect(validateFlow(flowWith({ type: 'map', config: { flow: 'summarise' } }, ok), { flows }).ok).toBe(true);
  });

  it('a string cannot feed items', () => {
    const edges = [{ source: 'inputs', sourcePort: 'question', target: 'each', targetPort: 'items' }];
    const res = validateFlow(flowWith({ type: 'map', config: { flow: 'summarise' } }, edges), { flows });
    expect(res.problems).toContainEqual(expect.objectContaining({ code: 'incompatible_ports', edgeIndex: 1 }));
  });

  it('an unknown flow is reported at config.flow, without a flood of edge problems', () => {
    for (const type of ['map', 'subflow', 'loop']) {
      const res = validateFlow(flowWith({ type, config: { flow: 'nope' } }, mapEdges), { flows });
      const errors = res.problems.filter((p) => p.severity === 'error');
      expect(errors).toEqual([
        expect.objectContaining({ code: 'unknown_flow', path: 'nodes[2].config.flow', nodeId: 'each' }),
      ]);
    }
    // Without any resolver, the reference cannot be checked either.
    const res = validateFlow(flowWith({ type: 'subflow', config: { flow: 'summarise' } }));
    expect(res.problems.map((p) => p.code)).toContain('unknown_flow');
  });

  it('map itemInput must name an input of the called flow', () => {
    const res = validateFlow(flowWith({ type: 'map', config: { flow: 'summarise', itemInput: 'doc' } }, mapEdges), {
      flows,
    });
    expect(res.problems).toContainEqual(
      expect.objectContaining({ code: 'invalid_config', path: 'nodes[2].config.itemInput' }),
    );
  });

  it('subflow ports are the called flow inputs and outputs; loop adds iterations', () => {
    const sub = validateFlow(
      flowWith({ type: 'subflow', config: { flow: 'summarise' } }, [
        { source: 'inputs', sourcePort: 'question', target: 'each', targetPort: 'document' },
        { source: 'each', sourcePort: 'summary', target: 'outputs', targetPort: 'summaries' },
      ]),
      { flows },
    );
    // summary (string) cannot flow into the list output: types come from the called flow
    expect(sub.problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['incompatible_ports']);
    const loop = validateFlow(
      flowWith({ type: 'loop', config: { flow: 'summarise', until: 'summary != ""' } }, [
        { source: 'inputs', sourcePort: 'question', target: 'each', targetPort: 'document' },
        { source: 'each', sourcePort: 'iterations', target: 'outputs', targetPort: 'summaries' },
      ]),
      { flows },
    );
    expect(loop.problems.filter((p) => p.severity === 'error').map((p) => p.code)).toEqual(['incompatible_ports']); // number → list
  });

  it('a required child input must be connected on a subflow node', () => {
    const res = validateFlow(flowWith({ type: 'subflow', config: { flow: 'summarise' } }), { flows });
    expect(res.problems).toContainEqual(
      expect.objectContaining({ code: 'missing_input', path: 'nodes[2].values.document' }),
    );
  });
});

describe('flow references and cross-flow cycles', () => {
  it('lists references with their paths', () => {
    const refs = flowReferences({
      nodes: [
        { id: 'a', type: 'map', config: { flow: 'x' } },
        { id: 'b', type: 'transform', config: { mode: 'template', template: '' } },
        { id: 'c', type: 'loop', config: { flow: 'y' } },
      ],
    });
    expect(refs).toEqual([
      { flow: 'x', nodeId: 'a', nodeIndex: 0, path: 'nodes[0].config.flow' },
      { flow: 'y', nodeId: 'c', nodeIndex: 2, path: 'nodes[2].config.flow' },
    ]);
  });

  it('finds A → B → A and self-calls', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['a', 'c'], c: [], s: ['s'] };
    const cycles = flowCycles(Object.keys(graph), (id) => graph[id] ?? []);
    expect(cycles).toContainEqual(['a', 'b']);
    expect(cycles).toContainEqual(['s']);
    expect(cycles).toHaveLength(2);
  });
});
