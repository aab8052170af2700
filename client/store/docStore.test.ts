import { beforeEach, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared/flow/schema';
import { useDoc, beginDrag, endDrag, undo, redo, uniqueId, sameDoc } from './docStore';
import { toFlow } from './convert';
import { diffFlows, flowForDiff } from './diff';

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

  it('pastes notes with fresh ids, offset like the nodes, and selects only what it pasted', () => {
    const note = {
      id: 'note-1',
      position: { x: 10, y: -100 },
      size: { width: 240, height: 140 },
      text: '説明',
      color: 'blue' as const,
    };
    useDoc.getState().load({ ...flow, notes: [note] });
    const ids = useDoc.getState().insertFragment(flow.nodes.slice(1, 2), [], { x: 40, y: 40 }, [note]);
    expect(ids).toEqual(['p-2', 'note:note-2']);
    const s = useDoc.getState();
    expect(s.notes.map((n) => [n.id, n.position, n.data.text, n.data.color, n.width, !!n.selected])).toEqual([
      ['note:note-1', { x: 10, y: -100 }, '説明', 'blue', 240, false],
      ['note:note-2', { x: 50, y: -60 }, '説明', 'blue', 240, true],
    ]);
    expect(s.nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(['p-2']);
    undo();
    expect(useDoc.getState().notes.map((n) => n.id)).toEqual(['note:note-1']);
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

  it('counts note changes (not note moves); a stored version with damaged notes still diffs', () => {
    const why = {
      id: 'why',
      position: { x: 0, y: -150 },
      size: { width: 200, height: 90 },
      text: '一',
      color: 'yellow' as const,
    };
    const noted: Flow = { ...flow, notes: [why] };
    const moved = diffFlows(noted, { ...noted, notes: [{ ...why, position: { x: 99, y: 0 } }] });
    expect(moved.count).toBe(0);
    const edited = diffFlows(noted, {
      ...noted,
      notes: [
        { ...why, text: '二' },
        { ...why, id: 'new' },
      ],
    });
    expect(edited.count).toBe(2);
    expect(edited.detail.notes.map((n) => [n.id, n.kind])).toEqual([
      ['why', 'changed'],
      ['new', 'added'],
    ]);
    // A version from git history: junk entries are skipped, a note without text reads as empty.
    const old = flowForDiff(
      { ...flow, notes: ['junk', { text: 'no id' }, { id: 'why', position: why.position, size: why.size }] },
      'f',
    );
    const d = diffFlows(old, noted);
    expect(d.detail.notes.map((n) => [n.id, n.kind, n.changes.map((c) => [c.at, c.before, c.after])])).toEqual([
      [
        'why',
        'changed',
        [
          ['color', undefined, 'yellow'],
          ['text', '', '一'],
        ],
      ],
    ]);
    expect(flowForDiff({ ...flow, notes: 'nonsense' }, 'f')).not.toHaveProperty('notes');
  });
});

describe('sticky notes in the document', () => {
  const notes = () => {
    const s = useDoc.getState();
    return toFlow(s.meta, s.nodes, s.edges, s.notes).notes;
  };

  it('adds, edits (typing is one undo step), moves, resizes and deletes a note; selection is not history', () => {
    const before = past();
    const id = useDoc.getState().addNote({ x: 10.4, y: -20 });
    expect(id).toBe('note:note-1');
    expect(notes()).toEqual([
      { id: 'note-1', position: { x: 10, y: -20 }, size: { width: 240, height: 140 }, text: '', color: 'yellow' },
    ]);
    useDoc.getState().updateNote(id, { text: '目' }, `t:${id}`);
    useDoc.getState().updateNote(id, { text: '目的' }, `t:${id}`);
    expect(past()).toBe(before + 2);
    useDoc.getState().selectOnly([]);
    useDoc.getState().selectOnly([id]);
    expect(past()).toBe(before + 2);
    useDoc.getState().onNodesChange([
      { id, type: 'position', position: { x: 50, y: 60 } },
      { id, type: 'dimensions', dimensions: { width: 300, height: 200 }, setAttributes: true, resizing: true },
    ]);
    expect(notes()?.[0]).toMatchObject({ position: { x: 50, y: 60 }, size: { width: 300, height: 200 }, text: '目的' });
    // Nodes are untouched by changes to notes.
    expect(current().nodes).toEqual(flow.nodes);
    useDoc.getState().deleteSelected();
    expect(notes()).toBeUndefined();
    undo();
    expect(notes()?.[0]?.text).toBe('目的');
    undo();
    undo();
    expect(notes()?.[0]?.text).toBe('');
  });

  it('loads notes from a flow and writes them back unchanged', () => {
    const noted: Flow = {
      ...flow,
      notes: [{ id: 'why', position: { x: 0, y: -150 }, size: { width: 200, height: 90 }, text: '- a', color: 'pink' }],
    };
    useDoc.getState().load(noted);
    expect(notes()).toEqual(noted.notes);
    expect(sameDoc(useDoc.getState(), { ...useDoc.getState(), notes: [...useDoc.getState().notes] })).toBe(true);
  });
});
