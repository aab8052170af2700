/**
 * Which nodes may stream tokens to a public caller (deployed endpoint SSE, OpenAI-compatible
 * `stream: true`): the rule that keeps a stream from spelling out what a guardrail blocks.
 *
 * A node N may stream when
 * - its output reaches an output node (tokens of intermediate nodes are never shown), and
 * - every validator that could still block or re-run N's text has finished before N
 *   starts: for each validator V that is reachable from N or from any ancestor of N, V is
 *   an ancestor of N. (V reachable from N: V checks N's own text. V reachable only from an
 *   ancestor A: V may fail the run or re-ask A, and N's text is made from A's unchecked
 *   output; a re-ask would also run N again and send its text twice.)
 * Validators themselves never stream. Everything else is delivered as the final, validated
 * value when the run ends.
 *
 * Pure and linear per validator: O(validators · (nodes + edges)).
 */

/** Node types that check a value and can block it or ask for it again. */
export const GUARD_NODE_TYPES: ReadonlySet<string> = new Set(['validator']);

export interface StreamGraph {
  nodes: ReadonlyArray<{ id: string; type: string }>;
  edges: ReadonlyArray<{ source: string; target: string }>;
}

function walk(start: Iterable<string>, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const stack = [...start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const n of next.get(id) ?? []) if (!seen.has(n)) stack.push(n);
  }
  return seen;
}

/** The ids of the nodes whose tokens may be streamed to a public caller. */
export function streamableNodes(flow: StreamGraph): Set<string> {
  const down = new Map<string, string[]>();
  const up = new Map<string, string[]>();
  const ids = new Set(flow.nodes.map((n) => n.id));
  for (const e of flow.edges) {
    if (!ids.has(e.source) || !ids.has(e.target)) continue;
    (down.get(e.source) ?? down.set(e.source, []).get(e.source)!).push(e.target);
    (up.get(e.target) ?? up.set(e.target, []).get(e.target)!).push(e.source);
  }
  const reachesOutput = walk(
    flow.nodes.filter((n) => n.type === 'output').map((n) => n.id),
    up,
  );
  const out = new Set<string>();
  for (const n of flow.nodes) if (reachesOutput.has(n.id) && !GUARD_NODE_TYPES.has(n.type)) out.add(n.id);
  for (const v of flow.nodes) {
    if (!GUARD_NODE_TYPES.has(v.type) || out.size === 0) continue;
    // Nodes made from anything V checks (V's ancestors and their descendants)…
    const tainted = walk(walk([v.id], up), down);
    // …except those that wait for V to pass.
    const after = walk([v.id], down);
    for (const id of tainted) if (!after.has(id) || id === v.id) out.delete(id);
  }
  return out;
}
