/**
 * Property test of the streaming rule (shared/flow/streaming.ts) against a per-node
 * reference built from plain path search, on random DAGs of prompts, validators,
 * transforms and outputs.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { streamableNodes, type StreamGraph } from './streaming';

const TYPES = ['prompt', 'validator', 'transform', 'output'] as const;

/** Node 0 is the input; node i > 0 takes parents among nodes < i (so the graph is a DAG). */
const genGraph = fc
  .array(
    fc.record({
      type: fc.constantFrom(...TYPES),
      parents: fc.array(fc.nat(1000), { minLength: 1, maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 14 },
  )
  .map((spec): StreamGraph => {
    const nodes = [{ id: 'n0', type: 'input' }, ...spec.map((s, i) => ({ id: `n${i + 1}`, type: s.type }))];
    const edges: StreamGraph['edges'][number][] = [];
    spec.forEach((s, i) => {
      for (const p of new Set(s.parents.map((x) => x % (i + 1)))) edges.push({ source: `n${p}`, target: `n${i + 1}` });
    });
    return { nodes, edges };
  });

/** Whether there is a path of one or more edges from `a` to `b`. */
function path(g: StreamGraph, a: string, b: string): boolean {
  return g.edges.some((e) => e.source === a && (e.target === b || path(g, e.target, b)));
}

/** The rule, written per node from its definition. */
function reference(g: StreamGraph, id: string): boolean {
  const node = g.nodes.find((n) => n.id === id)!;
  if (node.type === 'validator') return false;
  if (!g.nodes.some((o) => o.type === 'output' && (o.id === id || path(g, id, o.id)))) return false;
  const ancestors = g.nodes.filter((a) => path(g, a.id, id)).map((a) => a.id);
  for (const v of g.nodes.filter((n) => n.type === 'validator')) {
    const related = [id, ...ancestors].some((a) => a === v.id || path(g, a, v.id));
    if (related && !ancestors.includes(v.id)) return false;
  }
  return true;
}

describe('streamableNodes', () => {
  it('matches the rule written per node, on random DAGs', () => {
    fc.assert(
      fc.property(genGraph, (g) => {
        const got = streamableNodes(g);
        for (const n of g.nodes) expect(got.has(n.id), `node ${n.id} in ${JSON.stringify(g)}`).toBe(reference(g, n.id));
      }),
      { numRuns: 300 },
    );
  });

  it('never streams a node whose text a validator checks, nor one made from text a validator may still block', () => {
    fc.assert(
      fc.property(genGraph, (g) => {
        const got = streamableNodes(g);
        for (const id of got)
          for (const v of g.nodes.filter((n) => n.type === 'validator')) {
            expect(path(g, id, v.id)).toBe(false);
            // A validator fed by an ancestor of a streaming node has finished before it starts.
            const fedByAncestor = g.nodes.some((a) => path(g, a.id, id) && path(g, a.id, v.id));
            if (fedByAncestor) expect(path(g, v.id, id)).toBe(true);
          }
      }),
      { numRuns: 300 },
    );
  });

  it('streams prompt → output, not prompt → validator → output, nor a sibling of a validator', () => {
    const g = (nodes: Array<[string, string]>, edges: Array<[string, string]>): StreamGraph => ({
      nodes: nodes.map(([id, type]) => ({ id, type })),
      edges: edges.map(([source, target]) => ({ source, target })),
    });
    expect([
      ...streamableNodes(
        g(
          [
            ['in', 'input'],
            ['p', 'prompt'],
            ['out', 'output'],
          ],
          [
            ['in', 'p'],
            ['p', 'out'],
          ],
        ),
      ),
    ]).toEqual(['in', 'p', 'out']);
    const guarded = g(
      [
        ['in', 'input'],
        ['p', 'prompt'],
        ['v', 'validator'],
        ['s', 'prompt'],
        ['after', 'prompt'],
        ['out', 'output'],
      ],
      [
        ['in', 'p'],
        ['p', 'v'],
        ['p', 's'],
        ['v', 'after'],
        ['s', 'out'],
        ['after', 'out'],
      ],
    );
    expect([...streamableNodes(guarded)].sort()).toEqual(['after', 'out']);
    // A node that reaches no output never streams.
    expect(
      streamableNodes(
        g(
          [
            ['in', 'input'],
            ['p', 'prompt'],
          ],
          [['in', 'p']],
        ),
      ).size,
    ).toBe(0);
  });
});
