import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  adjacency,
  ancestors,
  descendants,
  findCycles,
  formatCycle,
  hasCycle,
  reachableFrom,
  stronglyConnectedComponents,
  topologicalOrder,
  wouldCreateCycle,
  type GraphEdge,
} from './graph';

const e = (source: string, target: string): GraphEdge => ({ source, target });
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);

/** A random directed graph on n0…n(k-1), self-loops and parallel edges included. */
const graphArb = fc.integer({ min: 1, max: 7 }).chain((n) =>
  fc.record({
    nodes: fc.constant(ids(n)),
    edges: fc.array(
      fc.tuple(fc.nat(n - 1), fc.nat(n - 1)).map(([a, b]) => e(`n${a}`, `n${b}`)),
      { maxLength: 14 },
    ),
  }),
);

/** Reference: cyclic iff a DFS finds a back edge (written independently of graph.ts). */
function referenceHasCycle(nodes: string[], edges: GraphEdge[]): boolean {
  const state = new Map<string, 0 | 1 | 2>(nodes.map((n) => [n, 0]));
  const visit = (n: string): boolean => {
    state.set(n, 1);
    for (const x of edges.filter((y) => y.source === n)) {
      if (state.get(x.target) === 1) return true;
      if (state.get(x.target) === 0 && visit(x.target)) return true;
    }
    state.set(n, 2);
    return false;
  };
  return nodes.some((n) => state.get(n) === 0 && visit(n));
}

/** Reference: every elementary cycle by brute force, each as a canonical string. */
function referenceCycles(nodes: string[], edges: GraphEdge[]): Set<string> {
  const has = (a: string, b: string): boolean => edges.some((x) => x.source === a && x.target === b);
  const out = new Set<string>();
  nodes.forEach((start, si) => {
    const walk = (path: string[]): void => {
      const last = path[path.length - 1];
      if (has(last, start)) out.add(path.join(','));
      for (const next of nodes.slice(si + 1)) if (!path.includes(next) && has(last, next)) walk([...path, next]);
    };
    walk([start]);
  });
  return out;
}

function isRealCycle(cycle: string[], edges: GraphEdge[]): boolean {
  if (new Set(cycle).size !== cycle.length) return false;
  return cycle.every((n, i) => edges.some((x) => x.source === n && x.target === cycle[(i + 1) % cycle.length]));
}

describe('graph', () => {
  it('orders a DAG parents first, ties in node order', () => {
    const nodes = ['c', 'a', 'b', 'd'];
    const res = topologicalOrder(nodes, [e('a', 'b'), e('c', 'b'), e('b', 'd')]);
    expect(res).toEqual({ order: ['c', 'a', 'b', 'd'], blocked: [] });
  });

  it('leaves nodes on and behind a cycle out of the order', () => {
    const res = topologicalOrder(['a', 'b', 'c', 'd', 'x'], [e('a', 'b'), e('b', 'c'), e('c', 'b'), e('c', 'd')]);
    expect(res).toEqual({ order: ['a', 'x'], blocked: ['b', 'c', 'd'] });
  });

  it('ignores edges to unknown nodes and counts parallel edges once', () => {
    expect(adjacency(['a', 'b'], [e('a', 'b'), e('a', 'b'), e('a', 'zz'), e('zz', 'a')])).toEqual(
      new Map([
        ['a', ['b']],
        ['b', []],
      ]),
    );
  });

  it('finds strongly connected components', () => {
    const comps = stronglyConnectedComponents(
      ['a', 'b', 'c', 'd'],
      [e('a', 'b'), e('b', 'a'), e('b', 'c'), e('c', 'd'), e('d', 'c')],
    );
    expect(comps.map((c) => c.join('')).sort()).toEqual(['ab', 'cd']);
  });

  it('lists each elementary cycle once, rotated to its first node', () => {
    const { cycles, truncated } = findCycles(
      ['a', 'b', 'c', 'd'],
      [e('a', 'b'), e('b', 'c'), e('c', 'a'), e('b', 'd'), e('d', 'a'), e('d', 'd')],
    );
    expect(truncated).toBe(false);
    expect(cycles.map(formatCycle).sort()).toEqual(['a → b → c → a', 'a → b → d → a', 'd → d']);
  });

  it('stops at the limit and says so', () => {
    // A complete graph on 6 nodes has hundreds of elementary cycles.
    const nodes = ids(6);
    const edges = nodes.flatMap((a) => nodes.filter((b) => b !== a).map((b) => e(a, b)));
    const res = findCycles(nodes, edges, { limit: 5 });
    expect(res.cycles).toHaveLength(5);
    expect(res.truncated).toBe(true);
    for (const c of res.cycles) expect(isRealCycle(c, edges)).toBe(true);
  });

  it('handles a 20 000-node chain and ring without overflowing the stack', () => {
    const nodes = ids(20_000);
    const chain = nodes.slice(1).map((n, i) => e(nodes[i], n));
    expect(topologicalOrder(nodes, chain).order).toHaveLength(20_000);
    const ring = [...chain, e(nodes[nodes.length - 1], nodes[0])];
    const { cycles } = findCycles(nodes, ring);
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(20_000);
    expect(wouldCreateCycle(chain, e(nodes[nodes.length - 1], nodes[0]))).toBe(true);
  });

  it('computes reachability, ancestors and descendants', () => {
    const edges = [e('a', 'b'), e('b', 'c'), e('x', 'c')];
    expect([...reachableFrom(['a'], edges)].sort()).toEqual(['a', 'b', 'c']);
    expect([...descendants('a', edges)].sort()).toEqual(['b', 'c']);
    expect([...ancestors('c', edges)].sort()).toEqual(['a', 'b', 'x']);
  });

  it('refuses connections that would close a cycle', () => {
    const edges = [e('a', 'b'), e('b', 'c')];
    expect(wouldCreateCycle(edges, e('c', 'a'))).toBe(true);
    expect(wouldCreateCycle(edges, e('b', 'b'))).toBe(true);
    expect(wouldCreateCycle(edges, e('a', 'c'))).toBe(false);
    expect(wouldCreateCycle(edges, e('c', 'd'))).toBe(false);
  });

  it('property: findCycles lists exactly the elementary cycles, each real and each once', () => {
    fc.assert(
      fc.property(graphArb, ({ nodes, edges }) => {
        const { cycles, truncated } = findCycles(nodes, edges, { limit: 10_000 });
        expect(truncated).toBe(false);
        for (const c of cycles) expect(isRealCycle(c, edges)).toBe(true);
        const keys = cycles.map((c) => c.join(','));
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(referenceCycles(nodes, edges));
      }),
      { numRuns: 400 },
    );
  });

  it('property: cyclic iff a cycle is found; the order is topological otherwise', () => {
    fc.assert(
      fc.property(graphArb, ({ nodes, edges }) => {
        const cyclic = referenceHasCycle(nodes, edges);
        expect(hasCycle(nodes, edges)).toBe(cyclic);
        expect(findCycles(nodes, edges, { limit: 1 }).cycles.length > 0).toBe(cyclic);
        const { order, blocked } = topologicalOrder(nodes, edges);
        expect(blocked.length > 0).toBe(cyclic);
        const pos = new Map(order.map((n, i) => [n, i]));
        for (const x of edges) {
          if (pos.has(x.source) && pos.has(x.target))
            expect(pos.get(x.source)).toBeLessThan(pos.get(x.target) as number);
          if (pos.has(x.target)) expect(pos.has(x.source)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('property: wouldCreateCycle agrees with adding the edge and looking for a cycle', () => {
    fc.assert(
      fc.property(graphArb, fc.nat(), fc.nat(), ({ nodes, edges }, a, b) => {
        const dag = edges.filter((x) => Number(x.source.slice(1)) < Number(x.target.slice(1)));
        const extra = e(nodes[a % nodes.length], nodes[b % nodes.length]);
        expect(wouldCreateCycle(dag, extra)).toBe(referenceHasCycle(nodes, [...dag, extra]));
      }),
      { numRuns: 400 },
    );
  });
});
