/**
 * The flow diff engine: field-level node changes, edges, flow settings, prompt text as a
 * line diff, snapshots with called flows; and properties on random flows (a flow has no
 * diff with itself, key order never matters, applying a diff gives the other flow).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Flow, FlowEdge, FlowNode, FlowNote } from './schema';
import { applyFlowDiff, diffFlows, diffSnapshots, edgeKey, isEmptyDiff, sameValue, type FlowDiff } from './diff';
import { diffReport, summarizeFlowDiff, summarizeSnapshotDiff } from './diff-text';
import { lineDiff, linesToTexts, wordDiff } from './line-diff';
import { promptFlow } from '../../test/support/flows';

const base: Flow = promptFlow({
  id: 'support',
  name: 'Support',
  system: 'You answer support questions.\nBe brief.\nCite the docs.',
  temperature: 0,
});

const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('diffFlows', () => {
  it('has nothing to say about a flow and itself, or a copy with its keys in another order', () => {
    expect(isEmptyDiff(diffFlows(base, base), { layout: true })).toBe(true);
    const reordered = JSON.parse(
      JSON.stringify(base, (_k, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v)
          ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse())
          : v,
      ),
    ) as Flow;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(base));
    expect(isEmptyDiff(diffFlows(base, reordered), { layout: true })).toBe(true);
  });

  it('reports a prompt edit field by field, with a line diff of the template', () => {
    const after = copy(base);
    const cfg = after.nodes[1]?.config as { temperature: number; messages: Array<{ content: string }> };
    cfg.temperature = 0.7;
    (cfg.messages[0] as { content: string }).content =
      'You answer support questions.\nBe brief and kind.\nCite the docs.';
    const d = diffFlows(base, after);
    expect(d.summary).toMatchObject({ nodesChanged: 1, nodesAdded: 0, nodesRemoved: 0, edgesAdded: 0 });
    expect(d.nodes).toHaveLength(1);
    const node = d.nodes[0];
    expect(node).toMatchObject({ id: 'answer', type: 'prompt', kind: 'changed' });
    expect(node?.changes.map((c) => [c.at, c.kind, c.before, c.after])).toEqual([
      [
        'config.messages[0].content',
        'changed',
        'You answer support questions.\nBe brief.\nCite the docs.',
        'You answer support questions.\nBe brief and kind.\nCite the docs.',
      ],
      ['config.temperature', 'changed', 0, 0.7],
    ]);
    expect(node?.changes[0]?.lines).toEqual([
      { op: 'same', text: 'You answer support questions.' },
      { op: 'del', text: 'Be brief.' },
      { op: 'add', text: 'Be brief and kind.' },
      { op: 'same', text: 'Cite the docs.' },
    ]);
    expect(node?.changes[1]?.lines).toBeUndefined();
    expect(summarizeFlowDiff(d)).toBe('1 node changed');
  });

  it('reports added and removed nodes, edges and flow settings; moves are layout only', () => {
    const after = copy(base);
    after.name = 'Support answer';
    after.inputs.push({ name: 'lang', type: 'string', description: '日本語 ok' });
    (after.nodes[0] as FlowNode).position = { x: 10, y: 20 };
    after.nodes.splice(2, 1);
    after.nodes.push({ id: 'shout', type: 'transform', position: { x: 0, y: 0 }, config: { mode: 'template' } });
    after.edges = [after.edges[0] as FlowEdge];
    const d = diffFlows(base, after);
    expect(d.nodes.map((n) => [n.id, n.kind])).toEqual([
      ['inputs', 'moved'],
      ['shout', 'added'],
      ['outputs', 'removed'],
    ]);
    expect(d.nodes[2]?.node?.type).toBe('output');
    expect(d.edges).toEqual([{ kind: 'removed', edge: base.edges[1] }]);
    expect(d.settings.map((c) => [c.at, c.kind])).toEqual([
      ['inputs[1]', 'added'],
      ['name', 'changed'],
    ]);
    expect(summarizeFlowDiff(d)).toBe('1 node added, 1 node removed, 1 edge removed, 2 flow settings changed');
    const onlyMoved = copy(base);
    (onlyMoved.nodes[1] as FlowNode).position = { x: 999, y: 5 };
    const m = diffFlows(base, onlyMoved);
    expect(isEmptyDiff(m)).toBe(true);
    expect(isEmptyDiff(m, { layout: true })).toBe(false);
    expect(m.summary.nodesMoved).toBe(1);
  });

  it('diffs snapshots with their called flows and writes a report', () => {
    const child: Flow = { ...copy(base), id: 'child', name: 'Child' };
    const child2 = copy(child);
    (child2.nodes[1]?.config as { model: string }).model = 'openai:gpt-4o';
    const same = diffSnapshots({ flow: base, flows: { child } }, { flow: copy(base), flows: { child: copy(child) } });
    expect(same.empty).toBe(true);
    expect(summarizeSnapshotDiff(same)).toBe('no changes');
    const d = diffSnapshots(
      { flow: base, flows: { child, gone: child } },
      { flow: base, flows: { child: child2, fresh: child } },
    );
    expect(d.empty).toBe(false);
    expect(d.calledFlows.map((c) => [c.id, c.kind])).toEqual([
      ['child', 'changed'],
      ['fresh', 'added'],
      ['gone', 'removed'],
    ]);
    expect(summarizeSnapshotDiff(d)).toBe(
      'called flow child: 1 node changed; called flow fresh added; called flow gone removed',
    );
    expect(diffReport(d)).toEqual([
      '~ called flow child',
      '    ~ node answer (prompt)',
      '        config.model: "openai:gpt-4o-mini" → "openai:gpt-4o"',
      '+ called flow fresh',
      '- called flow gone',
    ]);
  });

  it('keeps keys such as __proto__ as data when applying', () => {
    const a = copy(base);
    const b = JSON.parse(
      JSON.stringify(base).replace('"temperature":0', '"temperature":0,"__proto__":{"x":1}'),
    ) as Flow;
    const d = diffFlows(a, b);
    expect(d.nodes[0]?.changes.map((c) => [c.at, c.kind])).toEqual([['config.__proto__', 'added']]);
    const applied = applyFlowDiff(a, d);
    expect(isEmptyDiff(diffFlows(applied, b), { layout: true })).toBe(true);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('diffFlows: sticky notes', () => {
  const note = (id: string, text: string, x = 0): FlowNote => ({
    id,
    position: { x, y: -200 },
    size: { width: 240, height: 140 },
    text,
    color: 'yellow',
  });
  const withNotes = (...notes: FlowNote[]): Flow => ({ ...copy(base), notes });

  it('reports added, removed and edited notes (Japanese text as a line diff); not as flow settings', () => {
    const before = withNotes(
      note('why', '# なぜこのフロー？\nサポートの質問に答える。\n出典を示す。'),
      note('old', 'あとで消す'),
      note('keep', 'そのまま'),
    );
    const after = withNotes(
      note('why', '# なぜこのフロー？\nサポートの質問に丁寧に答える。\n出典を示す。'),
      note('keep', 'そのまま'),
      { ...note('todo', '- テストを書く'), color: 'pink' },
    );
    const d = diffFlows(before, after);
    expect(d.settings).toEqual([]);
    expect(d.nodes).toEqual([]);
    expect(d.notes.map((n) => [n.id, n.kind])).toEqual([
      ['why', 'changed'],
      ['todo', 'added'],
      ['old', 'removed'],
    ]);
    const why = d.notes[0];
    expect(why?.changes.map((c) => c.at)).toEqual(['text']);
    expect(why?.changes[0]?.lines).toEqual([
      { op: 'same', text: '# なぜこのフロー？' },
      { op: 'del', text: 'サポートの質問に答える。' },
      { op: 'add', text: 'サポートの質問に丁寧に答える。' },
      { op: 'same', text: '出典を示す。' },
    ]);
    expect(d.notes[1]?.note).toMatchObject({ text: '- テストを書く', color: 'pink' });
    expect(d.notes[2]?.note.text).toBe('あとで消す');
    expect(d.summary).toMatchObject({ notesAdded: 1, notesRemoved: 1, notesChanged: 1, notesMoved: 0 });
    expect(isEmptyDiff(d)).toBe(false);
    expect(summarizeFlowDiff(d)).toBe('1 note changed, 1 note added, 1 note removed');
    expect(diffReport({ flow: d, calledFlows: [], empty: false })).toEqual([
      '~ note why “# なぜこのフロー？”',
      '    text:',
      '      - サポートの質問に答える。',
      '      + サポートの質問に丁寧に答える。',
      '+ note todo “- テストを書く”',
      '- note old “あとで消す”',
    ]);
  });

  it('a note moved or resized is layout, a colour change is a change; a flow without notes equals one with none', () => {
    const before = withNotes(note('a', 'メモ'), note('b', 'メモ2'));
    const moved = withNotes(note('a', 'メモ', 500), { ...note('b', 'メモ2'), size: { width: 300, height: 200 } });
    const m = diffFlows(before, moved);
    expect(m.notes.map((n) => [n.id, n.kind, n.changes.map((c) => c.at)])).toEqual([
      ['a', 'moved', ['position.x']],
      ['b', 'moved', ['size.height', 'size.width']],
    ]);
    expect(m.summary.notesMoved).toBe(2);
    expect(isEmptyDiff(m)).toBe(true);
    expect(isEmptyDiff(m, { layout: true })).toBe(false);
    expect(summarizeFlowDiff(m)).toBe('no changes');

    const recoloured = withNotes({ ...note('a', 'メモ'), color: 'blue' }, note('b', 'メモ2'));
    const c = diffFlows(before, recoloured);
    expect(c.notes[0]).toMatchObject({ id: 'a', kind: 'changed' });
    expect(c.notes[0]?.changes.map((x) => [x.at, x.before, x.after])).toEqual([['color', 'yellow', 'blue']]);

    expect(isEmptyDiff(diffFlows(base, withNotes()), { layout: true })).toBe(true);
    expect(diffFlows(base, withNotes(note('n', '')))).toMatchObject({ summary: { notesAdded: 1 } });
  });

  it('applying a diff adds, removes and edits notes; a deploy snapshot with only a note moved is unchanged', () => {
    const before = withNotes(note('a', 'one'), note('b', 'two'));
    const after = withNotes({ ...note('a', 'one, edited'), position: { x: 9, y: 9 } }, note('c', '三'));
    const applied = applyFlowDiff(before, diffFlows(before, after));
    expect(isEmptyDiff(diffFlows(applied, after), { layout: true })).toBe(true);
    expect(applied.notes?.map((n) => n.id)).toEqual(['a', 'c']);
    expect(applyFlowDiff(base, diffFlows(base, base))).not.toHaveProperty('notes');

    const movedOnly = withNotes({ ...note('a', 'one'), position: { x: 1, y: 1 } }, note('b', 'two'));
    expect(diffSnapshots({ flow: before, flows: {} }, { flow: movedOnly, flows: {} }).empty).toBe(true);
    expect(diffSnapshots({ flow: before, flows: {} }, { flow: after, flows: {} }).empty).toBe(false);
  });
});

describe('lineDiff', () => {
  it('aligns lines (CJK too) and gives back both texts', () => {
    const a = '一行目\n二行目\n三行目';
    const b = '一行目\n新しい行\n三行目\n四行目';
    expect(lineDiff(a, b)).toEqual([
      { op: 'same', text: '一行目' },
      { op: 'del', text: '二行目' },
      { op: 'add', text: '新しい行' },
      { op: 'same', text: '三行目' },
      { op: 'add', text: '四行目' },
    ]);
  });

  it('diffs a changed line word by word (CJK character by character)', () => {
    expect(wordDiff('Answer in at most three sentences.', 'Answer in one sentence.')).toEqual([
      { op: 'same', text: 'Answer in ' },
      { op: 'del', text: 'at most three sentences.' },
      { op: 'add', text: 'one sentence.' },
    ]);
    expect(wordDiff('短く答える', '丁寧に答える')).toEqual([
      { op: 'del', text: '短く' },
      { op: 'add', text: '丁寧に' },
      { op: 'same', text: '答える' },
    ]);
  });

  it('property: the diff holds both texts, and a text has no diff with itself', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'あ', ''), { maxLength: 12 }).map((l) => l.join('\n'));
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(linesToTexts(lineDiff(a, b))).toEqual([a, b]);
        const words = wordDiff(a.replace(/\n/g, ' '), b.replace(/\n/g, ' '));
        expect(
          words
            .filter((w) => w.op !== 'add')
            .map((w) => w.text)
            .join(''),
        ).toBe(a.replace(/\n/g, ' '));
        expect(
          words
            .filter((w) => w.op !== 'del')
            .map((w) => w.text)
            .join(''),
        ).toBe(b.replace(/\n/g, ' '));
        expect(lineDiff(a, a).every((l) => l.op === 'same')).toBe(true);
      }),
    );
  });
});

// ── properties on random flows ──────────────────────────────────────────────

const ids = ['a', 'b', 'c', 'd', 'e'];
const json = fc.jsonValue({ maxDepth: 2 });
const nodeArb: fc.Arbitrary<FlowNode> = fc.record(
  {
    id: fc.constantFrom(...ids),
    type: fc.constantFrom('prompt', 'transform', 'tool'),
    title: fc.string({ maxLength: 6 }),
    position: fc.record({ x: fc.integer({ min: -50, max: 50 }), y: fc.integer({ min: -50, max: 50 }) }),
    config: fc.dictionary(fc.constantFrom('model', 'messages', 'template', 'mode', 'topK', '__proto__'), json, {
      maxKeys: 4,
    }),
    values: fc.dictionary(fc.string({ maxLength: 3 }), json, { maxKeys: 2 }),
  },
  { requiredKeys: ['id', 'type', 'position'] },
);
const edgeArb: fc.Arbitrary<FlowEdge> = fc.record({
  source: fc.constantFrom(...ids),
  sourcePort: fc.constantFrom('text', 'result'),
  target: fc.constantFrom(...ids),
  targetPort: fc.constantFrom('question', 'value'),
});
const noteArb: fc.Arbitrary<FlowNote> = fc.record({
  id: fc.constantFrom('n1', 'n2', 'n3'),
  position: fc.record({ x: fc.integer({ min: -50, max: 50 }), y: fc.integer({ min: -50, max: 50 }) }),
  size: fc.record({ width: fc.constantFrom(120, 240), height: fc.constantFrom(80, 140) }),
  text: fc.constantFrom('', 'メモ', '# a\nb', 'long '.repeat(20)),
  color: fc.constantFrom('yellow' as const, 'blue' as const),
});
const flowArb = fc.record(
  {
    schemaVersion: fc.constant(1 as const),
    id: fc.constant('f'),
    name: fc.constantFrom('One', 'Two', '三'),
    description: fc.option(fc.string({ maxLength: 80 }), { nil: undefined }),
    inputs: fc.array(fc.record({ name: fc.constantFrom('q', 'lang'), type: fc.constantFrom('string' as const) }), {
      maxLength: 2,
    }),
    outputs: fc.constant([]),
    nodes: fc.uniqueArray(nodeArb, { maxLength: 5, selector: (n) => n.id }),
    edges: fc.uniqueArray(edgeArb, { maxLength: 6, selector: (e) => JSON.stringify(e) }),
    notes: fc.uniqueArray(noteArb, { maxLength: 3, selector: (n) => n.id }),
  },
  { requiredKeys: ['schemaVersion', 'id', 'name', 'description', 'inputs', 'outputs', 'nodes', 'edges'] },
) as fc.Arbitrary<Flow>;

/** The same value with every object's keys in a shuffled order (decided by `seed`). */
function shuffleKeys<T>(v: T, seed: number): T {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') {
      const entries = Object.entries(x as Record<string, unknown>).sort(() => (rnd() % 2 ? 1 : -1));
      const o: Record<string, unknown> = {};
      for (const [k, val] of entries)
        Object.defineProperty(o, k, { value: walk(val), enumerable: true, writable: true, configurable: true });
      return o;
    }
    return x;
  };
  return walk(v) as T;
}

/** What a diff says, independent of the order nodes appear in. */
function shape(d: FlowDiff): unknown {
  return {
    summary: d.summary,
    settings: d.settings.map((c) => [c.at, c.kind]),
    nodes: [...d.nodes]
      .sort((x, y) => x.id.localeCompare(y.id))
      .map((n) => [n.id, n.kind, n.changes.map((c) => [c.at, c.kind])]),
    notes: [...d.notes]
      .sort((x, y) => x.id.localeCompare(y.id))
      .map((n) => [n.id, n.kind, n.changes.map((c) => [c.at, c.kind])]),
    edges: d.edges.map((e) => [e.kind, edgeKey(e.edge)]).sort(),
  };
}

describe('diff properties', () => {
  it('a flow has no diff with itself', () => {
    fc.assert(fc.property(flowArb, (a) => isEmptyDiff(diffFlows(a, copy(a)), { layout: true })));
  });

  it('key order never matters', () => {
    fc.assert(
      fc.property(flowArb, flowArb, fc.nat(), (a, b, seed) => {
        expect(isEmptyDiff(diffFlows(a, shuffleKeys(a, seed)), { layout: true })).toBe(true);
        expect(shape(diffFlows(shuffleKeys(a, seed), shuffleKeys(b, seed + 1)))).toEqual(shape(diffFlows(a, b)));
      }),
    );
  });

  it('applying the diff of a → b to a gives b', () => {
    fc.assert(
      fc.property(flowArb, flowArb, (a, b) => {
        const d = diffFlows(a, b);
        const applied = applyFlowDiff(a, d);
        const back = diffFlows(applied, b);
        expect(isEmptyDiff(back, { layout: true }), JSON.stringify(back)).toBe(true);
        // And the diff is empty exactly when the flows are equal up to node and edge order.
        const byId = <T extends { id: string }>(xs: readonly T[] = []) =>
          [...xs].sort((x, y) => x.id.localeCompare(y.id));
        const equal = sameValue(
          { ...a, nodes: byId(a.nodes), notes: byId(a.notes), edges: [] },
          { ...b, nodes: byId(b.nodes), notes: byId(b.notes), edges: [] },
        );
        expect(
          isEmptyDiff({ ...d, edges: [], summary: { ...d.summary, edgesAdded: 0, edgesRemoved: 0 } }, { layout: true }),
        ).toBe(equal);
      }),
    );
  });
});
