/**
 * Pickers for config fields whose declaration names a widget (`.meta({ widget })` in the
 * node type's zod schema, visible as `widget` in its JSON Schema): a flow of the flows
 * folder, a knowledge base. The model picker lives in ModelPicker.tsx.
 */
import { useEffect, useState } from 'react';
import { useDoc } from '../store/docStore';
import { useFlowIndex } from '../store/flowIndex';
import { navigate } from '../app/router';
import { kbApi, type KnowledgeBaseInfo } from '../knowledge/api';
import { useKbIndex } from '../store/kbIndex';

/** Another flow of the folder (never the open one: a flow cannot call itself), with an Open link. */
export function FlowPicker({ value, onChange, label }: { value: string; onChange(v: string): void; label: string }) {
  const flows = useFlowIndex((s) => s.flows);
  const self = useDoc((s) => s.meta.id);
  const others = flows.filter((f) => f.id !== self);
  const known = others.some((f) => f.id === value);
  return (
    <div className="picker-row">
      <select
        className="input"
        aria-label={label}
        data-testid="flow-picker"
        value={value}
        onChange={(e) => onChange(e.target.value)}
      >
        {!value ? <option value="">Choose a flow…</option> : null}
        {value && !known ? <option value={value}>{value} (not found)</option> : null}
        {others.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name} ({f.id}) — {(f.inputs ?? []).map((i) => i.name).join(', ') || 'no inputs'} →{' '}
            {(f.outputs ?? []).map((o) => o.name).join(', ') || 'no outputs'}
          </option>
        ))}
      </select>
      {value && known ? (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => navigate(`/flows/${encodeURIComponent(value)}`)}
          title="Open the flow this node runs"
        >
          Open
        </button>
      ) : null}
    </div>
  );
}

/** A knowledge base of this server, saying which ones have vectors (hybrid/vector need them). */
export function KnowledgeBasePicker({
  value,
  onChange,
  label,
}: {
  value: string;
  onChange(v: string): void;
  label: string;
}) {
  const [kbs, setKbs] = useState<KnowledgeBaseInfo[] | null>(null);
  useEffect(() => {
    let alive = true;
    kbApi.list().then(
      (list) => {
        // Fresh facts for the mode defaults too (withKbDefaults).
        useKbIndex.setState({ list });
        if (alive) setKbs(list);
      },
      () => alive && setKbs([]),
    );
    return () => {
      alive = false;
    };
  }, []);
  if (kbs === null || (kbs.length === 0 && value))
    return <input className="input" aria-label={label} value={value} onChange={(e) => onChange(e.target.value)} />;
  const known = kbs.some((k) => k.name === value);
  return (
    <select
      className="input"
      aria-label={label}
      data-testid="kb-picker"
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      {!value ? <option value="">Choose a knowledge base…</option> : null}
      {value && !known ? <option value={value}>{value} (not found)</option> : null}
      {kbs.map((k) => (
        <option key={k.name} value={k.name}>
          {k.name} — {k.chunks} {k.chunks === 1 ? 'chunk' : 'chunks'}
          {k.config.embedding ? `, ${k.config.embedding}` : ', BM25 only'}
        </option>
      ))}
    </select>
  );
}
