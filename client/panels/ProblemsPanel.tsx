import { useDerived } from '../store/derived';
import { useDoc } from '../store/docStore';
import { useReactFlow } from '@xyflow/react';

/** Every validation problem; clicking one selects (and centres) its node. */
export function ProblemsPanel() {
  const problems = useDerived((s) => s.problems);
  const selectOnly = useDoc((s) => s.selectOnly);
  const rf = useReactFlow();
  if (!problems.length)
    return (
      <div className="muted small pad" data-testid="problems-empty">
        No problems. The flow is valid.
      </div>
    );
  return (
    <ul className="problems" data-testid="problems">
      {problems.map((p, i) => (
        <li key={i}>
          <button
            className={`problem sev-${p.severity}`}
            onClick={() => {
              if (!p.nodeId) return;
              selectOnly([p.nodeId]);
              const n = useDoc.getState().nodes.find((x) => x.id === p.nodeId);
              if (n)
                void rf.setCenter(n.position.x + 110, n.position.y + 50, {
                  zoom: Math.max(rf.getZoom(), 0.8),
                  duration: 250,
                });
            }}
          >
            <span className={`sev sev-${p.severity}`}>{p.severity}</span>
            {p.nodeId ? <span className="mono problem-node">{p.nodeId}</span> : null}
            <span>{p.message}</span>
            <span className="muted mono small">{p.path}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
