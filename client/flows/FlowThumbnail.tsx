import { memo } from 'react';
import type { Flow } from '../../shared/flow/schema';
import { getNodeType } from '../../shared/nodes/registry';

const W = 200;
const H = 64;
const CATEGORY_COLORS: Record<string, string> = {
  Flow: '#10b981',
  Models: '#6366f1',
  Knowledge: '#d97706',
  Tools: '#0ea5e9',
  Guardrails: '#e11d48',
  Logic: '#8b5cf6',
};

/**
 * A small picture of a flow, drawn from the file itself: each node a box at its canvas
 * position in its category's colour, each edge a curve from the source's right side to
 * the target's left side, sticky notes as pale squares.
 */
export const FlowThumbnail = memo(function FlowThumbnail({
  flow,
  label,
}: {
  flow: Pick<Flow, 'nodes' | 'edges' | 'notes'>;
  label: string;
}) {
  const boxes = flow.nodes.map((n) => ({ id: n.id, x: n.position.x, y: n.position.y, type: n.type }));
  const notes = flow.notes ?? [];
  const xs = [...boxes.map((b) => b.x), ...notes.map((n) => n.position.x)];
  const ys = [...boxes.map((b) => b.y), ...notes.map((n) => n.position.y)];
  const x2 = [...boxes.map((b) => b.x + W), ...notes.map((n) => n.position.x + n.size.width)];
  const y2 = [...boxes.map((b) => b.y + H), ...notes.map((n) => n.position.y + n.size.height)];
  const pad = 30;
  const minX = (xs.length ? Math.min(...xs) : 0) - pad;
  const minY = (ys.length ? Math.min(...ys) : 0) - pad;
  const width = Math.max((x2.length ? Math.max(...x2) : W) - minX + pad, 400);
  const height = Math.max((y2.length ? Math.max(...y2) : H) - minY + pad, 160);
  const byId = new Map(boxes.map((b) => [b.id, b]));
  return (
    <svg
      className="flow-thumb"
      viewBox={`${minX} ${minY} ${width} ${height}`}
      preserveAspectRatio="xMidYMid meet"
      role="img"
      aria-label={label}
    >
      {notes.map((n) => (
        <rect
          key={n.id}
          x={n.position.x}
          y={n.position.y}
          width={n.size.width}
          height={n.size.height}
          rx={6}
          className="flow-thumb-note"
        />
      ))}
      {(flow.edges ?? []).map((e, i) => {
        const s = byId.get(e.source);
        const t = byId.get(e.target);
        if (!s || !t) return null;
        const sx = s.x + W;
        const sy = s.y + H / 2;
        const tx = t.x;
        const ty = t.y + H / 2;
        const dx = Math.max(40, Math.abs(tx - sx) / 2);
        return (
          <path key={i} d={`M${sx},${sy} C${sx + dx},${sy} ${tx - dx},${ty} ${tx},${ty}`} className="flow-thumb-edge" />
        );
      })}
      {boxes.map((b) => {
        const color = CATEGORY_COLORS[getNodeType(b.type)?.category ?? ''] ?? '#9ca3af';
        return (
          <g key={b.id}>
            <rect x={b.x} y={b.y} width={W} height={H} rx={12} className="flow-thumb-node" style={{ stroke: color }} />
            <rect x={b.x} y={b.y} width={W} height={12} rx={6} style={{ fill: color }} />
            <rect x={b.x + 16} y={b.y + 28} width={W * 0.55} height={10} rx={5} className="flow-thumb-line" />
          </g>
        );
      })}
    </svg>
  );
});
