/**
 * Property tests of validation on random graphs of transform nodes (template mode: each
 * `{{variable}}` is an input port), so the graph checks run through the real port logic.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { validateFlow } from './validate';

interface Shape {
  n: number;
  /** Node index pairs [source, target]. */
  links: Array<[number, number]>;
  /** Order the nodes are written in the file. */
  order: number[];
}

/** Builds a flow where node i's template reads `{{v<j>}}` for every link j → i. */
function buildFlow({ links, order }: Shape): {
  schemaVersion: 1;
  id: string;
  name: string;
  nodes: unknown[];
  edges: unknown[];
} {
  const incoming = new Map<number, number[]>();
  for (const [s, t] of links) {
    const list = incoming.get(t) ?? [];
    if (!list.includes(s)) list.push(s);
    incoming.set(t, list);
  }
  const nodes = order.map((i) => {
    const vars = incoming.get(i) ?? [];
    const template = vars.length === 0 ? `constant ${i}` : vars.map((s) => `{{v${s}}}`).join(' + ');
    return { id: `t${i}`, type: 'transform', position: { x: i * 10, y: 0 }, config: { mode: 'template', template } };
  });
  const edges = links.map(([s, t]) => ({
    source: `t${s}`,
    sourcePort: 'result',
    target: `t${t}`,
    targetPort: `v${s}`,
  }));
  return { schemaVersion: 1, id: 'random', name: 'Random', nodes, edges };
}

const nodeCount = fc.integer({ min: 1, max: 12 });

/** Forward links only (i < j): always a DAG. */
const dagArb = nodeCount.chain((n) =>
  fc.record({
    n: fc.constant(n),
    links: fc
      .uniqueArray(
        fc.tuple(fc.nat(n - 1), fc.nat(n - 1)).map(([a, b]): [number, number] => (a < b ? [a, b] : [b, a])),
        { maxLength: 30, selector: ([a, b]) => `${a}-${b}` },
      )
      .map((list) => list.filter(([a, b]) => a < b)),
    order: fc.shuffledSubarray(
      Array.from({ length: n }, (_, i) => i),
      { minLength: n, maxLength: n },
    ),
  }),
);

/** A DAG plus random back edges and self-loops: may or may not be cyclic. */
const cyclicArb = dagArb.chain((shape) =>
  fc
    .uniqueArray(
      fc.tuple(fc.nat(shape.n - 1), fc.nat(shape.n - 1)).map(([a, b]): [number, number] => (a >= b ? [a, b] : [b, a])),
      { maxLength: 4, selector: ([a, b]) => `${a}-${b}` },
    )
    .map((back) => ({ ...shape, links: [...shape.links, ...back] })),
);

function referenceHasCycle(n: number, links: Array<[number, number]>): boolean {
  const state = new Array<number>(n).fill(0);
  const visit = (i: number): boolean => {
    state[i] = 1;
    for (const [s, t] of links) {
      if (s !== i) continue;
      if (state[t] === 1 || (state[t] === 0 && visit(t))) return true;
    }
    state[i] = 2;
    return false;
  };
  return Array.from({ length: n }, (_, i) => i).some((i) => state[i] === 0 && visit(i));
}

describe('validateFlow on random graphs', () => {
  it('property: a random DAG of transform nodes validates with no problems', () => {
    fc.assert(
      fc.property(dagArb, (shape) => {
        const res = validateFlow(buildFlow(shape));
        expect(res.problems).toEqual([]);
        expect(res.ok).toBe(true);
        expect(res.flow?.nodes).toHaveLength(shape.n);
      }),
      { numRuns: 300 },
    );
  });

  it('property: every reported cycle is real and reported once; cyclic iff a cycle is reported', () => {
    fc.assert(
      fc.property(cyclicArb, (shape) => {
        const res = validateFlow(buildFlow(shape));
        const linkSet = new Set(shape.links.map(([s, t]) => `t${s}>t${t}`));
        const cycles = res.problems.filter((p) => p.code === 'cycle');
        const seen = new Set<string>();
        for (const p of cycles) {
          const m = /^cycle: (.+?);/.exec(p.message);
          expect(m).not.toBeNull();
          const names = (m as RegExpExecArray)[1].split(' → ');
          expect(names[0]).toBe(names[names.length - 1]);
          expect(names[0]).toBe(p.nodeId);
          const ring = names.slice(0, -1);
          expect(new Set(ring).size).toBe(ring.length);
          ring.forEach((a, i) => expect(linkSet.has(`${a}>${ring[(i + 1) % ring.length]}`)).toBe(true));
          expect(seen.has(ring.join(','))).toBe(false);
          seen.add(ring.join(','));
        }
        const cyclic = referenceHasCycle(shape.n, shape.links);
        expect(cycles.length > 0).toBe(cyclic);
        // Cycles are the only errors these graphs can have.
        expect(res.problems.filter((p) => p.code !== 'cycle')).toEqual([]);
        expect(res.ok).toBe(!cyclic);
      }),
      { numRuns: 300 },
    );
  });

  it('property: validation never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const res = validateFlow(value);
        expect(res.ok).toBe(false);
        expect(res.problems.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  it('property: a valid flow with one node mutated never crashes validation and stays in the file', () => {
    fc.assert(
      fc.property(
        dagArb,
        fc.jsonValue(),
        fc.nat(),
        fc.constantFrom('config', 'type', 'id', 'values', 'position'),
        (shape, junk, k, field) => {
          const flow = buildFlow(shape);
          const node = flow.nodes[k % flow.nodes.length] as Record<string, unknown>;
          node[field] = junk;
          const res = validateFlow(flow);
          for (const p of res.problems) {
            expect(typeof p.code).toBe('string');
            expect(p.path === '' || /^[A-Za-z]/.test(p.path)).toBe(true);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
