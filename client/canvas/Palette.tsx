import { memo, useMemo, useState, type DragEvent } from 'react';
import { useCatalog, CATEGORY_ORDER } from '../store/catalog';
import { Icon } from '../ui/Icon';

export const DND_TYPE = 'application/x-braid-node';

/** Node types grouped by category, with search; drag onto the canvas (or click) to add. */
export const Palette = memo(function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const nodeTypes = useCatalog((s) => s.nodeTypes);
  const [q, setQ] = useState('');
  const groups = useMemo(() => {
    const needle = q.trim().toLowerCase();
    const list = nodeTypes.filter(
      (t) =>
        !needle ||
        t.title.toLowerCase().includes(needle) ||
        t.type.includes(needle) ||
        t.docs.toLowerCase().includes(needle),
    );
    const by = new Map<string, typeof list>();
    for (const t of list) by.set(t.category, [...(by.get(t.category) ?? []), t]);
    return [...by.entries()].sort((a, b) => CATEGORY_ORDER.indexOf(a[0]) - CATEGORY_ORDER.indexOf(b[0]));
  }, [nodeTypes, q]);
  const onDragStart = (e: DragEvent, type: string) => {
    e.dataTransfer.setData(DND_TYPE, type);
    e.dataTransfer.setData('text/plain', type);
    e.dataTransfer.effectAllowed = 'copy';
  };
  return (
    <aside className="palette" aria-label="Node palette">
      <input
        className="input palette-search"
        placeholder="Search nodes…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        aria-label="Search nodes"
      />
      <div className="palette-list">
        {groups.length === 0 ? <div className="muted small pad">No node type matches “{q}”.</div> : null}
        {groups.map(([cat, list]) => (
          <section key={cat} className="palette-group">
            <h4>{cat}</h4>
            {list.map((t) => (
              <div
                key={t.type}
                className="palette-item"
                draggable
                onDragStart={(e) => onDragStart(e, t.type)}
                onDoubleClick={() => onAdd(t.type)}
                title={`${t.docs}\n\nDrag onto the canvas (or double-click) to add.`}
                data-testid={`palette-${t.type}`}
              >
                <span className="palette-icon">
                  <Icon name={t.icon} size={14} />
                </span>
                <span>{t.title}</span>
              </div>
            ))}
          </section>
        ))}
      </div>
      <div className="palette-foot muted small">
        Drag a node onto the canvas. Connect an output (right) to an input (left).
      </div>
    </aside>
  );
});
