import { useDeferredValue, useMemo, useState } from 'react';
import { useDoc } from '../store/docStore';
import { useCatalog, portsOf } from '../store/catalog';
import { getNodeType } from '../../shared/nodes/registry';
import { SAFE_ID } from '../../shared/flow/schema';
import type { BraidNode } from '../store/convert';
import { Field, type FormContext } from './SchemaForm';
import { withKbDefaults } from '../store/kbIndex';
import { FlowSettings } from './FlowSettings';
import { PortValues } from './PortValues';
import { Icon } from '../ui/Icon';
import type { EditorLanguage } from './CodeEditor';

/** The right-hand panel: flow settings, or the selected node's config form. */
export function Inspector({ onRunNode }: { onRunNode: (id: string) => void }) {
  const selectedIds = useDoc((s) => {
    const ids = s.nodes.filter((n) => n.selected).map((n) => n.id);
    return ids.join('\n');
  });
  // Deferred: the inspector re-renders at low priority, never in the way of a drag frame.
  const deferredIds = useDeferredValue(selectedIds);
  const ids = deferredIds ? deferredIds.split('\n') : [];
  if (ids.length === 0)
    return (
      <aside className="inspector">
        <FlowSettings />
      </aside>
    );
  if (ids.length > 1)
    return (
      <aside className="inspector">
        <div className="pad">
          <h3>{ids.length} nodes selected</h3>
          <p className="muted small">
            Copy with Ctrl/⌘+C, duplicate with Ctrl/⌘+D, delete with Delete. Drag any of them to move the group.
          </p>
        </div>
      </aside>
    );
  return (
    <aside className="inspector">
      <NodeInspector key={ids[0]} id={ids[0]} onRunNode={onRunNode} />
    </aside>
  );
}

function NodeInspector({ id, onRunNode }: { id: string; onRunNode: (id: string) => void }) {
  // Select the data, not the node object: dragging the node must not re-render the form.
  const data = useDoc((s) => s.nodes.find((n) => n.id === id)?.data);
  const node = data ? ({ id, data } as Pick<BraidNode, 'id' | 'data'>) : undefined;
  const meta = useDoc((s) => s.meta);
  const update = useDoc((s) => s.updateNodeData);
  const rename = useDoc((s) => s.renameNode);
  const info = useCatalog((s) => (node ? s.byType[node.data.type] : undefined));
  const [idDraft, setIdDraft] = useState(id);
  const [idError, setIdError] = useState<string | null>(null);

  const errors = useMemo(() => {
    const out: Record<string, string> = {};
    const def = data ? getNodeType(data.type) : undefined;
    if (!def || !data) return out;
    const res = def.config.safeParse(data.config ?? {});
    if (!res.success) for (const i of res.error.issues) out[i.path.join('.')] ??= i.message;
    return out;
  }, [data]);

  if (!node) return null;
  const ctx: FormContext = { editors: (info?.editors ?? {}) as Record<string, EditorLanguage>, errors };
  const ports = portsOf(node.data, meta);
  const unmatched = Object.entries(errors).filter(([p]) => p === '');

  const commitId = () => {
    if (idDraft === id) return setIdError(null);
    if (!SAFE_ID.test(idDraft))
      return setIdError('Use lower-case letters, digits, "-" and "_" (start with a letter or digit).');
    if (useDoc.getState().nodes.some((n) => n.id === idDraft)) return setIdError(`A node “${idDraft}” already exists.`);
    setIdError(null);
    rename(id, idDraft);
  };

  return (
    <div className="inspector-body" data-testid="node-inspector">
      <div className="inspector-head">
        <span className="bnode-icon">
          <Icon name={info?.icon ?? 'box'} />
        </span>
        <div>
          <div className="inspector-title">{info?.title ?? node.data.type}</div>
          <div className="muted small">{info?.category ?? 'Unknown type'}</div>
        </div>
        {node.data.type !== 'input' && node.data.type !== 'output' ? (
          <button
            className="btn btn-small"
            style={{ marginLeft: 'auto' }}
            onClick={() => onRunNode(id)}
            title="Run only this node with hand-entered inputs"
          >
            <Icon name="play" size={12} /> Run node
          </button>
        ) : null}
      </div>
      {info?.docs ? (
        <details className="docs small">
          <summary>About this node</summary>
          <p>{info.docs}</p>
        </details>
      ) : null}
      <div className="field">
        <label className="field-label">id</label>
        <input
          className="input mono"
          aria-label="node id"
          value={idDraft}
          onChange={(e) => setIdDraft(e.target.value)}
          onBlur={commitId}
          onKeyDown={(e) => e.key === 'Enter' && commitId()}
        />
        {idError ? <div className="field-error">{idError}</div> : null}
      </div>
      <div className="field">
        <label className="field-label">title</label>
        <input
          className="input"
          aria-label="node title"
          value={node.data.title ?? ''}
          placeholder={info?.title}
          onChange={(e) => update(id, { title: e.target.value || undefined }, `title:${id}`)}
        />
      </div>
      {unmatched.map(([, m]) => (
        <div className="field-error" key={m}>
          {m}
        </div>
      ))}
      {info &&
      Object.keys(info.configSchema.properties ?? {}).length +
        (info.configSchema.oneOf?.length ?? 0) +
        (info.configSchema.anyOf?.length ?? 0) >
        0 ? (
        <section className="inspector-section">
          <h4>Configuration</h4>
          <Field
            schema={info.configSchema}
            value={node.data.config ?? {}}
            path={[]}
            ctx={ctx}
            onChange={(v) => {
              let config = v as Record<string, unknown>;
              if (node.data.type === 'retrieval') config = withKbDefaults(config, node.data.config?.knowledgeBase);
              update(id, { config }, `config:${id}`);
            }}
          />
        </section>
      ) : null}
      <section className="inspector-section">
        <h4>Ports</h4>
        <div className="ports-summary small">
          <div>
            <b>In:</b> {ports.inputs.length ? ports.inputs.map((p) => `${p.name} (${p.type})`).join(', ') : '—'}
          </div>
          <div>
            <b>Out:</b> {ports.outputs.length ? ports.outputs.map((p) => `${p.name} (${p.type})`).join(', ') : '—'}
          </div>
        </div>
      </section>
      <PortValues nodeId={id} inputs={ports.inputs} values={node.data.values} />
      <section className="inspector-section">
        <h4>Advanced</h4>
        <div className="field">
          <label className="field-label">timeout (ms)</label>
          <input
            className="input"
            type="number"
            aria-label="timeout"
            value={node.data.timeoutMs ?? ''}
            placeholder="default"
            onChange={(e) => update(id, { timeoutMs: e.target.value ? Number(e.target.value) : undefined })}
          />
        </div>
        <div className="field">
          <label className="field-label">notes</label>
          <textarea
            className="input"
            rows={2}
            value={node.data.notes ?? ''}
            onChange={(e) => update(id, { notes: e.target.value || undefined }, `notes:${id}`)}
          />
        </div>
      </section>
    </div>
  );
}
