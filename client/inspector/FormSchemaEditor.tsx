/**
 * The fields of a form a person fills in (a human node's `fields`, a JSON Schema object):
 * one row per field (name, type, required, choices), or the schema as JSON for anything
 * the rows cannot say. A preview shows the form as the Inbox will.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { JsonSchema } from '../api/http';
import { ROW_TYPES, rowProblems, rowsOf, schemaOf, type FieldRow, type RowType } from './formRows';
import { formFields, initialDrafts, type FormDrafts } from '../inbox/formSchema';
import { TaskForm } from '../inbox/TaskForm';

function Preview({ schema }: { schema: JsonSchema | undefined }) {
  const fields = useMemo(() => formFields(schema), [schema]);
  const [drafts, setDrafts] = useState<FormDrafts>(() => initialDrafts(fields));
  return (
    <details className="form-preview" data-testid="form-preview">
      <summary className="small">Preview the form</summary>
      <TaskForm fields={fields} drafts={drafts} errors={{}} onChange={(n, v) => setDrafts((d) => ({ ...d, [n]: v }))} />
    </details>
  );
}

/** JSON text of a schema with its parse error, for the "as JSON" mode. */
function JsonMode({ value, onChange }: { value: unknown; onChange(v: unknown): void }) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [err, setErr] = useState<string | null>(null);
  return (
    <>
      <textarea
        className="input mono"
        rows={8}
        aria-label="form fields as JSON Schema"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (t.trim() === '') {
            setErr(null);
            return onChange(undefined);
          }
          try {
            const v: unknown = JSON.parse(t);
            if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('a form is a JSON Schema object');
            setErr(null);
            onChange(v);
          } catch (ex) {
            setErr(`Not saved: ${(ex as Error).message}`);
          }
        }}
      />
      {err ? <div className="field-error">{err}</div> : null}
    </>
  );
}

export function FormSchemaEditor({ value, onChange }: { value: unknown; onChange(v: unknown): void }) {
  const [rows, setRows] = useState<FieldRow[] | null>(() => rowsOf(value));
  const [asJson, setAsJson] = useState(() => rowsOf(value) === null);
  const emitted = useRef(JSON.stringify(value ?? null));
  // A change from outside (undo, another edit) replaces the rows.
  useEffect(() => {
    const json = JSON.stringify(value ?? null);
    if (json === emitted.current) return;
    emitted.current = json;
    const next = rowsOf(value);
    setRows(next);
    if (next === null) setAsJson(true);
  }, [value]);
  const problems = rows ? rowProblems(rows) : {};
  const edit = (next: FieldRow[]) => {
    setRows(next);
    if (Object.keys(rowProblems(next)).length) return;
    const schema = schemaOf(next);
    emitted.current = JSON.stringify(schema ?? null);
    onChange(schema);
  };
  const patch = (i: number, p: Partial<FieldRow>) => rows && edit(rows.map((r, j) => (j === i ? { ...r, ...p } : r)));

  return (
    <div className="form-schema-editor" data-testid="form-schema-editor">
      <div className="row small">
        <span className="muted">{asJson ? 'JSON Schema of the form' : 'Fields the reviewer fills in'}</span>
        <span className="spacer" />
        <button
          type="button"
          className="linklike small"
          onClick={() => {
            if (asJson) {
              const next = rowsOf(value);
              if (next === null) return;
              setRows(next);
            }
            setAsJson(!asJson);
          }}
          disabled={asJson && rowsOf(value) === null}
          title={asJson && rowsOf(value) === null ? 'This schema uses more than the field rows can show' : undefined}
        >
          {asJson ? 'Edit as fields' : 'Edit as JSON'}
        </button>
      </div>
      {asJson || !rows ? (
        <JsonMode key={emitted.current} value={value} onChange={onChange} />
      ) : (
        <div className="form-rows">
          {rows.map((r, i) => (
            <div className="form-row" key={i} data-testid={`form-row-${i}`}>
              <div className="form-row-main">
                <input
                  className={`input mono ${problems[i] ? 'invalid' : ''}`}
                  aria-label={`field ${i + 1} name`}
                  placeholder="name"
                  value={r.name}
                  onChange={(e) => patch(i, { name: e.target.value })}
                />
                <select
                  className="input"
                  aria-label={`field ${i + 1} type`}
                  value={r.type}
                  onChange={(e) => patch(i, { type: e.target.value as RowType })}
                >
                  {ROW_TYPES.map(([t, label]) => (
                    <option key={t} value={t}>
                      {label}
                    </option>
                  ))}
                </select>
                <button
                  type="button"
                  className="btn-icon"
                  aria-label={`Remove field ${r.name || i + 1}`}
                  onClick={() => edit(rows.filter((_, j) => j !== i))}
                >
                  ×
                </button>
              </div>
              <div className="row small">
                <label className="check">
                  <input
                    type="checkbox"
                    aria-label={`field ${i + 1} required`}
                    checked={r.required}
                    onChange={(e) => patch(i, { required: e.target.checked })}
                  />
                  required
                </label>
                {r.type === 'enum' ? (
                  <input
                    className="input form-row-options"
                    aria-label={`field ${i + 1} choices`}
                    placeholder="choices, comma-separated"
                    defaultValue={r.options.join(', ')}
                    onChange={(e) =>
                      patch(i, {
                        options: e.target.value
                          .split(/[,、]/)
                          .map((o) => o.trim())
                          .filter(Boolean),
                      })
                    }
                  />
                ) : null}
              </div>
              {problems[i] ? <div className="field-error">{problems[i]}</div> : null}
            </div>
          ))}
          <button
            type="button"
            className="btn btn-small"
            data-testid="form-add-field"
            onClick={() =>
              edit([
                ...rows,
                { name: `field${rows.length + 1}`, type: 'string', required: false, options: [], rest: {} },
              ])
            }
          >
            + Add field
          </button>
        </div>
      )}
      {value !== undefined ? <Preview key={JSON.stringify(value)} schema={value as JsonSchema} /> : null}
    </div>
  );
}
