import { PORT_TYPES, PORT_COLORS } from '../../shared/ports';
import { SAFE_NAME, type FlowIO } from '../../shared/flow/schema';
import { useDoc } from '../store/docStore';

function IoList({ kind }: { kind: 'inputs' | 'outputs' }) {
  const list = useDoc((s) => s.meta[kind]);
  const setMeta = useDoc((s) => s.setMeta);
  const set = (next: FlowIO[]) => setMeta({ [kind]: next });
  return (
    <section className="inspector-section">
      <h4>Flow {kind}</h4>
      {list.length === 0 ? <p className="muted small">No {kind} yet.</p> : null}
      {list.map((io, i) => (
        <div className="io-row" key={i}>
          <input
            className={`input mono ${SAFE_NAME.test(io.name) ? '' : 'invalid'}`}
            aria-label={`${kind} ${i + 1} name`}
            value={io.name}
            onChange={(e) => set(list.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))}
          />
          <select
            className="input"
            aria-label={`${kind} ${i + 1} type`}
            value={io.type}
            style={{ color: PORT_COLORS[io.type] }}
            onChange={(e) => set(list.map((x, j) => (j === i ? { ...x, type: e.target.value as FlowIO['type'] } : x)))}
          >
            {PORT_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          {kind === 'inputs' ? (
            <label className="check small" title="required">
              <input
                type="checkbox"
                checked={!!io.required}
                onChange={(e) =>
                  set(list.map((x, j) => (j === i ? { ...x, required: e.target.checked || undefined } : x)))
                }
              />{' '}
              req
            </label>
          ) : null}
          <button
            className="btn-icon"
            aria-label={`Remove ${io.name}`}
            onClick={() => set(list.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </div>
      ))}
      <button
        className="btn btn-small"
        onClick={() => {
          const base = kind === 'inputs' ? 'input' : 'output';
          let n = list.length + 1;
          while (list.some((x) => x.name === `${base}${n}`)) n++;
          set([...list, { name: `${base}${n}`, type: 'string', ...(kind === 'inputs' ? { required: true } : {}) }]);
        }}
      >
        + Add {kind === 'inputs' ? 'input' : 'output'}
      </button>
    </section>
  );
}

/** Shown when no node is selected: the flow's name, description, inputs and outputs. */
export function FlowSettings() {
  const name = useDoc((s) => s.meta.name);
  const description = useDoc((s) => s.meta.description);
  const id = useDoc((s) => s.meta.id);
  const setMeta = useDoc((s) => s.setMeta);
  return (
    <div className="inspector-body" data-testid="flow-settings">
      <h3>Flow settings</h3>
      <p className="muted small">
        Select a node to edit it. The Inputs and Outputs nodes get one port per item declared here.
      </p>
      <div className={`field ${name.trim() ? '' : 'has-error'}`}>
        <label className="field-label">name</label>
        <input
          className="input"
          aria-label="flow name"
          aria-invalid={name.trim() ? undefined : true}
          value={name}
          onChange={(e) => setMeta({ name: e.target.value })}
        />
        {name.trim() ? null : <div className="field-error">Name is required</div>}
      </div>
      <div className="field">
        <label className="field-label">id</label>
        <input className="input mono" value={id} readOnly title="The file name; duplicate the flow to change it" />
      </div>
      <div className="field">
        <label className="field-label">description</label>
        <textarea
          className="input"
          rows={2}
          value={description ?? ''}
          onChange={(e) => setMeta({ description: e.target.value || undefined })}
        />
      </div>
      <IoList kind="inputs" />
      <IoList kind="outputs" />
    </div>
  );
}
