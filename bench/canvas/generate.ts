import type { Flow, FlowEdge, FlowNode } from '../../shared/flow/schema';

/**
 * A layered DAG of transform nodes for the canvas benchmark: `cols × rows` nodes, each
 * node after the first column fed on port `a` by one node of the previous column, and
 * `extra` more edges on port `b`. Unconnected `b` ports get a literal value, so the flow
 * is valid (the benchmark measures rendering, not a wall of problems).
 */
export function generateFlow(opts: { nodes?: number; edges?: number; rows?: number; seed?: number } = {}): Flow {
  const total = opts.nodes ?? 500;
  const rows = opts.rows ?? 20;
  const cols = Math.ceil(total / rows);
  const wantEdges = opts.edges ?? 700;
  let seed = opts.seed ?? 42;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const nodes: FlowNode[] = [];
  const byCol: string[][] = [];
  for (let c = 0; c < cols; c++) {
    byCol.push([]);
    for (let r = 0; r < rows && nodes.length < total; r++) {
      const id = `n${c}-${r}`;
      byCol[c].push(id);
      nodes.push({
        id,
        type: 'transform',
        position: { x: c * 300, y: r * 130 },
        config: { mode: 'template', template: c === 0 ? `seed ${r}` : '{{a}} / {{b}}' },
      });
    }
  }
  const edges: FlowEdge[] = [];
  const hasB = new Set<string>();
  for (let c = 1; c < cols; c++) {
    for (const t of byCol[c]) {
      const src = byCol[c - 1][Math.floor(rand() * byCol[c - 1].length)];
      edges.push({ source: src, sourcePort: 'result', target: t, targetPort: 'a' });
    }
  }
  const candidates = byCol.slice(1).flat();
  while (edges.length < wantEdges && hasB.size < candidates.length) {
    const t = candidates[Math.floor(rand() * candidates.length)];
    if (hasB.has(t)) continue;
    hasB.add(t);
    const c = Number(t.slice(1, t.indexOf('-')));
    const src = byCol[c - 1][Math.floor(rand() * byCol[c - 1].length)];
    edges.push({ source: src, sourcePort: 'result', target: t, targetPort: 'b' });
  }
  for (const n of nodes) if (!n.id.startsWith('n0-') && !hasB.has(n.id)) n.values = { b: '-' };
  return {
    schemaVersion: 1,
    id: 'bench-canvas',
    name: `Canvas benchmark (${nodes.length} nodes, ${edges.length} edges)`,
    inputs: [],
    outputs: [],
    nodes,
    edges,
  };
}
