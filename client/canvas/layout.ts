import type { XYPosition } from '@xyflow/react';
import { useDoc } from '../store/docStore';

/** Left-to-right layered layout of the whole flow (elkjs); one undo step. */
export async function autoLayout(): Promise<void> {
  const { nodes, edges } = useDoc.getState();
  const graph = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    },
    children: nodes.map((n) => ({ id: n.id, width: n.measured?.width ?? 220, height: n.measured?.height ?? 100 })),
    edges: edges.map((e) => ({ id: e.id, sources: [e.source], targets: [e.target] })),
  };
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js'); // loaded on first use
  const res = await new ELK().layout(graph);
  const positions: Record<string, XYPosition> = {};
  for (const c of res.children ?? []) positions[c.id] = { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) };
  useDoc.getState().setPositions(positions);
}
