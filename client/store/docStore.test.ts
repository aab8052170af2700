import { beforeEach, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared/flow/schema';
import { useDoc, beginDrag, endDrag, undo, redo, uniqueId, sameDoc } from './docStore';
import { toFlow } from './convert';
import { diffFlows } from './diff';

const flow: Flow = {
  schemaVersion: 1,
  id: 'f',
  name: 'F',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'p',
      type: 'prompt',
      position: { x: 300, y: 0 },
      config: { messages: [{ role: 'user', content: '{{question}}' }] },
    },
    { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'p', targetPort: 'question' },
    { source: 'p', sourcePort: 'text', target: 'outputs', targetPort: 'answer' },
  ],
};

const current = () => {
  const s = useDoc.getState();
  return toFlow(s.meta, s.nodes, s.edges);
};
const past = () => useDoc.temporal.getState().pastStates.length;

beforeEach(() => useDoc.getState().load(flow));

describe('docStore', () => {
  it('round-trips a flow without UI state', () => {
    useDoc.getState().selectOnly(['p']);
    expect(current()).toEqual(flow);
    expect(JSON.stringify(current())).not.toMatch(/selected|measured|dragging/);
  });

  it('does not record selection or measuring as history', () => {
    useDoc.getState().selectOnly(['p']);
    useDoc.getState().onNodesChange([{ type: 'dimensions', id: 'p', dimensions: { width: 200, height: 80 } }]);
    expect(past()).toBe(0);
  });

  it('undoes and redoes a delete, restoring nodes and edges', () => {
    useDoc.getState().selectOnly(['p']);
    useDoc.getState().deleteSelected();
    expect(current().nodes.map((n) => n.id)).toEqual(['inputs', 'outputs']);
    expect(current().edges).toEqual([]);
    undo();
    expect(current().nodes.map((n) => n.id)).toEqual(['inputs', 'p', 'outputs']);
    expect(current().edges).toHaveLength(2);
    redo();
    expect(current().nodes).toHaveLength(2);
  });

  it('records a whole drag as one step', () => {
    beginDrag();
    for (let i = 1; i <= 20; i++) {
      useDoc
        .getState()
        .onNodesChange([{ type: 'position', id: 'p', position: { x: 300 + i * 5, y: i * 3 }, dragging: true }]);
    }
    useDoc.getState().onNodesChange([{ type: 'position', id: 'p', position: { x: 400, y: 60 }, dragging: false }]);
    endDrag();
    expect(past()).toBe(1);
    undo();
    expect(current().nodes[1].position).toEqual({ x: 300, y: 0 });
    redo();
    expect(current().nodes[1].position).toEqual({ x: 400, y: 60 });
  });

  it('groups typing in one field into one step', () => {
    for (const text of ['{{q', '{{qu', '{{que}}']) {
      useDoc.getState().updateNodeData('p', { config: { messages: [{ role: 'user', content: text }] } }, 'config:p');
    }
    expect(past()).toBe(1);
    undo();
    expect(current()).toEqual(flow);
  });

  it('pastes a fragment with fresh ids and re-pointed inner edges', () => {
    const ids = useDoc.getState().insertFragment(flow.nodes.slice(1, 3), flow.edges.slice(1), { x: 40, y: 40 });
    expect(ids).toEqual(['p-2', 'outputs-2']);
    const f = current();
    expect(f.edges).toContainEqual({ source: 'p-2', sourcePort: 'text', target: 'outputs-2', targetPort: 'answer' });
    expect(f.nodes.find((n) => n.id === 'p-2')?.position).toEqual({ x: 340, y: 40 });
    expect(new Set(f.nodes.map((n) => n.id)).size).toBe(f.nodes.length);
  });

  it('renames a node and its edges', () => {
    useDoc.getState().renameNode('p', 'answer');
    expect(current().edges.map((e) => `${e.source}->${e.target}`)).toEqual(['inputs->answer', 'answer->outputs']);
  });

  it('makes safe unique ids', () => {
    expect(uniqueId('Prompt', new Set(['prompt']))).toBe('prompt-2');
    expect(uniqueId('prompt-2', new Set(['prompt-2', 'prompt-3']))).toBe('prompt-4');
    expect(uniqueId('__x', new Set())).toBe('x');
  });

  it('sameDoc ignores selection but sees moves and data changes', () => {
    const a = useDoc.getState();
    useDoc.getState().selectOnly(['p']);
    expect(sameDoc(a, useDoc.getState())).toBe(true);
    useDoc.getState().setPositions({ p: { x: 1, y: 2 } });
    expect(sameDoc(a, useDoc.getState())).toBe(false);
  });
});

describe('diffFlows', () => {
  it('reports added, changed and removed nodes and edges (moves are not changes)', () => {
    const after: Flow = {
      ...flow,
      nodes: [
        { ...flow.nodes[0], position: { x: 50, y: 50 } },
        { ...flow.nodes[1], config: { messages: [{ role: 'user', content: 'Q: {{question}}' }] } },
        { id: 't', type: 'transform', position: { x: 0, y: 0 }, config: { mode: 'template', template: 'x' } },
      ],
      edges: [flow.edges[0]],
    };
    const d = diffFlows(flow, after);
    expect(d.nodes).toEqual({ p: 'changed', t: 'added', outputs: 'removed' });
    expect(d.removedNodes.map((n) => n.id)).toEqual(['outputs']);
    expect(d.edges).toEqual({ 'p.text->outputs.answer': 'removed' });
    expect(d.count).toBe(4);
  });
});
