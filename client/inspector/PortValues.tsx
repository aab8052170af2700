import { useDoc } from '../store/docStore';
import type { PortSpec } from '../../shared/ports';
import { PORT_COLORS } from '../../shared/ports';

function show(v: unknown): string {
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function parse(type: PortSpec['type'], text: string): unknown {
  if (type === 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Literal values for input ports that no edge feeds (the flow file's `values`). */
export function PortValues({
  nodeId,
  inputs,
  values,
}: {
  nodeId: string;
  inputs: PortSpec[];
  values: Record<string, unknown> | undefined;
}) {
  const connected = useDoc((s) =>
    s.edges
      .filter((e) => e.target === nodeId)
      .map((e) => e.targetHandle)
      .join('\n'),
  );
  const update = useDoc((s) => s.updateNodeData);
  const fed = new Set(connected.split('\n'));
  const open = inputs.filter((p) => !fed.has(p.name));
  if (!open.length) return null;
  return (
    <section className="inspector-section">
      <h4>Input values</h4>
      <p className="muted small">
        Unconnected inputs can take a fixed value instead of an edge
        {open.some((p) => p.type !== 'string') ? ' (JSON for non-string ports)' : ''}.
      </p>
      {open.map((p) => (
        <label className="field" key={p.name}>
          <span className="field-label">
            {p.name} <span style={{ color: PORT_COLORS[p.type] }}>{p.type}</span>
            {p.required ? <span className="port-req">*</span> : null}
          </span>
          <input
            className="input"
            aria-label={`value of ${p.name}`}
            value={show(values?.[p.name])}
            placeholder={p.required ? 'connect an edge or type a value' : 'optional'}
            onChange={(e) => {
              const next = { ...(values ?? {}) };
              if (e.target.value === '') delete next[p.name];
              else next[p.name] = parse(p.type, e.target.value);
              update(nodeId, { values: Object.keys(next).length ? next : undefined }, `values:${nodeId}:${p.name}`);
            }}
          />
        </label>
      ))}
    </section>
  );
}
