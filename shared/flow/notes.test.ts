import { describe, expect, it } from 'vitest';
import { flowSchema, type FlowInput } from './schema';
import { serializeFlow } from './serialize';
import { validateFlow } from './validate';

const base: FlowInput = {
  schemaVersion: 1,
  id: 'noted',
  name: 'Noted',
  inputs: [],
  outputs: [],
  nodes: [],
  edges: [],
};

describe('sticky notes in the flow file', () => {
  it('a flow without notes stays valid and is written without a notes key', () => {
    expect(validateFlow(base).ok).toBe(true);
    expect(serializeFlow(base)).not.toContain('"notes"');
  });

  it('writes notes after edges with a stable key order, and reads them back the same', () => {
    const flow = {
      ...base,
      notes: [
        // keys in a scrambled order, as an editor might produce them
        {
          text: '# 目的\n- 日本語のメモ',
          color: 'blue',
          size: { height: 120, width: 240 },
          position: { y: 5, x: 1 },
          id: 'note-1',
        },
      ],
    } as FlowInput;
    const text = serializeFlow(flow);
    expect(text.indexOf('"edges"')).toBeLessThan(text.indexOf('"notes"'));
    expect(text).toContain(
      '"id": "note-1",\n      "position": {\n        "x": 1,\n        "y": 5\n      },\n      "size": {\n        "width": 240,\n        "height": 120\n      },\n      "text": "# 目的\\n- 日本語のメモ",\n      "color": "blue"',
    );
    const parsed = flowSchema.parse(JSON.parse(text));
    expect(serializeFlow(parsed)).toBe(text);
    expect(validateFlow(parsed).ok).toBe(true);
  });

  it('a note without a colour is yellow; bad notes are problems with a path', () => {
    const note = { id: 'n', position: { x: 0, y: 0 }, size: { width: 200, height: 100 }, text: '' };
    expect(flowSchema.parse({ ...base, notes: [note] }).notes?.[0]?.color).toBe('yellow');
    const bad = validateFlow({
      ...base,
      notes: [note, { ...note, id: 'm', size: { width: 10, height: 100 }, color: 'teal' }],
    });
    expect(bad.ok).toBe(false);
    expect(bad.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['notes[1].size.width', 'notes[1].color']));
    const dup = validateFlow({ ...base, notes: [note, { ...note }] });
    expect(dup.ok).toBe(false);
    expect(dup.problems.find((p) => p.path === 'notes[1].id')?.message).toContain('duplicate note id "n"');
  });
});
