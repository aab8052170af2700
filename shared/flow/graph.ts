/**
 * Pure graph functions over node ids and edges, shared by validation, the runtime's plan
 * and the canvas. Nothing here knows about node types or ports: an edge is just
 * `source → target`, and several edges between the same two nodes count once.
 *
 * All functions are iterative (no recursion), so very deep graphs cannot overflow the
 * stack, and deterministic: results follow the order of `nodeIds`.
 */

export interface GraphEdge {
  source: string;
  target: string;
}

/** Successor lists per node, deduplicated, in edge order. Edges naming unknown nodes are ignored. */
export function adjacency(nodeIds: readonly string[], edges: readonly GraphEdge[]): Map<string, string[]> {
  const adj = new Map<string, string[]>();
  for (const id of nodeIds) if (!adj.has(id)) adj.set(id, []);
  const seen = new Set<string>();
  for (const e of edges) {
    const out = adj.get(e.source);
    if (!out || !adj.has(e.target)) continue;
    const key = `${e.source}\u0000${e.target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(e.target);
  }
  return adj;
}

function reverse(edges: readonly GraphEdge[]): GraphEdge[] {
  return edges.map((e) => ({ source: e.target, target: e.source }));
}

export interface TopologicalResult {
  /** Every node not on or behind a cycle, parents before children; ties keep `nodeIds` order. */
  order: string[];
  /** Nodes that could not be ordered (on a cycle, or downstream of one), in `nodeIds` order. */
  blocked: string[];
}

/** Kahn's algorithm with a stable tie-break (the earliest node in `nodeIds` goes first). */
export function topologicalOrder(nodeIds: readonly string[], edges: readonly GraphEdge[]): TopologicalResult {
  const adj = adjacency(nodeIds, edges);
  const position = new Map<string, number>();
  for (const id of adj.keys()) position.set(id, position.size);
  const ids = [...adj.keys()];
  const indegree = new Map<string, number>();
  for (const id of ids) indegree.set(id, 0);
  for (const out of adj.values()) for (const t of out) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  // A binary heap keyed by position keeps the order stable in O((n + e) log n).
  const heap: number[] = [];
  const push = (p: number): void => {
    heap.push(p);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= heap[i]) break;
      [heap[parent], heap[i]] = [heap[i], heap[parent]];
      i = parent;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  ids.forEach((id, i) => {
    if (indegree.get(id) === 0) push(i);
  });
  const order: string[] = [];
  while (heap.length > 0) {
    const id = ids[pop()];
    order.push(id);
    for (const t of adj.get(id) ?? []) {
      const d = (indegree.get(t) ?? 0) - 1;
      indegree.set(t, d);
      if (d === 0) push(position.get(t) as number);
    }
  }
  const done = new Set(order);
  return { order, blocked: ids.filter((id) => !done.has(id)) };
}

/**
 * Strongly connected components (Tarjan, iterative). Components come out in reverse
 * topological order of the condensation; nodes inside a component keep `nodeIds` order.
 */
export function stronglyConnectedComponents(nodeIds: readonly string[], edges: readonly GraphEdge[]): string[][] {
  return sccOf(adjacency(nodeIds, edges));
}

function sccOf(adj: Map<string, string[]>): string[][] {
  const position = new Map<string, number>();
  for (const id of adj.keys()) position.set(id, position.size);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const root of adj.keys()) {
    if (index.has(root)) continue;
    const work: Array<{ id: string; next: number }> = [{ id: root, next: 0 }];
    index.set(root, counter);
    low.set(root, counter++);
    stack.push(root);
    onStack.add(root);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const succ = adj.get(frame.id) ?? [];
      if (frame.next < succ.length) {
        const w = succ[frame.next++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ id: w, next: 0 });
        } else if (onStack.has(w)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(w) as number));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].id;
        low.set(parent, Math.min(low.get(parent) as number, low.get(frame.id) as number));
      }
      if (low.get(frame.id) === index.get(frame.id)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== frame.id);
        comp.sort((a, b) => (position.get(a) as number) - (position.get(b) as number));
        out.push(comp);
      }
    }
  }
  return out;
}

/** Whether the graph has at least one cycle (a self-loop counts). */
export function hasCycle(nodeIds: readonly string[], edges: readonly GraphEdge[]): boolean {
  return topologicalOrder(nodeIds, edges).blocked.length > 0;
}

export interface FindCyclesOptions {
  /** Stop after this many cycles (default 20). */
  limit?: number;
}

export interface CyclesResult {
  /**
   * Elementary cycles, each listed once as its nodes in edge order, starting at the node
   * that comes first in `nodeIds` (`['a', 'b']` means a → b → a; `['a']` is a self-loop).
   */
  cycles: string[][];
  /** True when the search stopped at the limit (more cycles may exist). */
  truncated: boolean;
}

/**
 * Elementary cycles (Johnson's algorithm, iterative), at most `limit` of them. The graph
 * has a cycle iff at least one is returned. Self-loops come first, then cycles by SCC.
 */
export function findCycles(
  nodeIds: readonly string[],
  edges: readonly GraphEdge[],
  opts: FindCyclesOptions = {},
): CyclesResult {
  const limit = Math.max(1, opts.limit ?? 20);
  const full = adjacency(nodeIds, edges);
  const position = new Map<string, number>();
  for (const id of full.keys()) position.set(id, position.size);
  const cycles: string[][] = [];
  // Self-loops are cycles of their own; the search below runs without them.
  const adj = new Map<string, string[]>();
  for (const [id, out] of full) {
    if (out.includes(id)) cycles.push([id]);
    adj.set(
      id,
      out.filter((t) => t !== id),
    );
  }
  const finish = (truncated: boolean): CyclesResult => {
    for (const c of cycles) rotateToFirst(c, position);
    return { cycles, truncated };
  };
  if (cycles.length >= limit) {
    const truncated = cycles.length > limit || hasLongerCycle(adj);
    cycles.length = limit;
    return finish(truncated);
  }

  const pending = sccOf(adj).filter((c) => c.length > 1);
  pending.reverse(); // so that pop() takes components in topological order
  while (pending.length > 0) {
    const comp = pending.pop() as string[];
    const members = new Set(comp);
    const sub = (id: string): string[] => (adj.get(id) ?? []).filter((t) => members.has(t));
    const start = comp[0];
    const path: string[] = [start];
    const blocked = new Set<string>([start]);
    const closed = new Set<string>();
    const blockMap = new Map<string, Set<string>>();
    const work: Array<{ id: string; nbrs: string[] }> = [{ id: start, nbrs: sub(start).reverse() }];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.nbrs.length > 0) {
        const next = frame.nbrs.pop() as string;
        if (next === start) {
          cycles.push([...path]);
          if (cycles.length >= limit) return finish(true);
          for (const p of path) closed.add(p);
        } else if (!blocked.has(next)) {
          path.push(next);
          work.push({ id: next, nbrs: sub(next).reverse() });
          closed.delete(next);
          blocked.add(next);
          continue;
        }
      }
      if (frame.nbrs.length === 0) {
        if (closed.has(frame.id)) {
          const todo = [frame.id];
          while (todo.length > 0) {
            const n = todo.pop() as string;
            if (!blocked.has(n)) continue;
            blocked.delete(n);
            const waiting = blockMap.get(n);
            if (waiting) {
              todo.push(...waiting);
              waiting.clear();
            }
          }
        } else {
          for (const nbr of sub(frame.id)) {
            let set = blockMap.get(nbr);
            if (!set) blockMap.set(nbr, (set = new Set()));
            set.add(frame.id);
          }
        }
        work.pop();
        path.pop();
      }
    }
    // Every cycle through `start` is found; look for the rest without it.
    const rest = comp.slice(1);
    const restAdj = new Map<string, string[]>();
    for (const id of rest)
      restAdj.set(
        id,
        sub(id).filter((t) => t !== start),
      );
    const more = sccOf(restAdj).filter((c) => c.length > 1);
    for (let i = more.length - 1; i >= 0; i--) pending.push(more[i]);
  }
  return finish(false);
}

function hasLongerCycle(adj: Map<string, string[]>): boolean {
  return sccOf(adj).some((c) => c.length > 1);
}

function rotateToFirst(cycle: string[], position: Map<string, number>): void {
  let best = 0;
  for (let i = 1; i < cycle.length; i++) {
    if ((position.get(cycle[i]) as number) < (position.get(cycle[best]) as number)) best = i;
  }
  if (best > 0) cycle.push(...cycle.splice(0, best));
}

/** `a → b → c → a` for a cycle `['a', 'b', 'c']`. */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' → ');
}

/** Nodes reachable from `starts` by following edges forward (the starts included). */
export function reachableFrom(starts: Iterable<string>, edges: readonly GraphEdge[]): Set<string> {
  const out = new Map<string, string[]>();
  for (const e of edges) {
    let list = out.get(e.source);
    if (!list) out.set(e.source, (list = []));
    list.push(e.target);
  }
  const seen = new Set<string>();
  const todo = [...starts];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const t of out.get(id) ?? []) if (!seen.has(t)) todo.push(t);
  }
  return seen;
}

/** Nodes downstream of `id` (not including it, unless it is on a cycle). */
export function descendants(id: string, edges: readonly GraphEdge[]): Set<string> {
  const starts = edges.filter((e) => e.source === id).map((e) => e.target);
  return reachableFrom(starts, edges);
}

/** Nodes upstream of `id` (not including it, unless it is on a cycle). */
export function ancestors(id: string, edges: readonly GraphEdge[]): Set<string> {
  const rev = reverse(edges);
  const starts = rev.filter((e) => e.source === id).map((e) => e.target);
  return reachableFrom(starts, rev);
}

/**
 * Whether adding `edge` to `edges` would close a cycle: a self-loop, or a path from its
 * target back to its source already exists. The canvas refuses such connections.
 */
export function wouldCreateCycle(edges: readonly GraphEdge[], edge: GraphEdge): boolean {
  if (edge.source === edge.target) return true;
  return reachableFrom([edge.target], edges).has(edge.source);
}
