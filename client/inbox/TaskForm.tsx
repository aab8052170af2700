import { useId } from 'react';
import type { FormDrafts, FormField } from './formSchema';

/** The input form of a task: one labelled control per field, each with its inline error. */
export function TaskForm({
  fields,
  drafts,
  errors,
  onChange,
}: {
  fields: FormField[];
  drafts: FormDrafts;
  /** Shown errors (the page decides when: after a submit attempt or once a field was left). */
  errors: Record<string, string>;
  onChange(name: string, value: string | boolean): void;
}) {
  const base = useId();
  if (fields.length === 0) return <p className="muted small">This form has no fields.</p>;
  return (
    <div className="task-form" data-testid="task-form">
      {fields.map((f) => {
        const id = `${base}-${f.name}`;
        const error = errors[f.name];
        const described = [f.description ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
        const common = {
          id,
          name: f.name,
          'aria-invalid': error ? true : undefined,
          'aria-describedby': described || undefined,
          'data-testid': `task-field-${f.name}`,
        };
        const text = typeof drafts[f.name] === 'string' ? (drafts[f.name] as string) : '';
        let control;
        if (f.kind === 'boolean')
          control = (
            <label className="check">
              <input
                type="checkbox"
                {...common}
                checked={drafts[f.name] === true}
                onChange={(e) => onChange(f.name, e.target.checked)}
              />
              {f.label}
            </label>
          );
        else if (f.kind === 'enum')
          control = (
            <select className="input" {...common} value={text} onChange={(e) => onChange(f.name, e.target.value)}>
              <option value="">{f.required ? 'Choose…' : '—'}</option>
              {(f.options ?? []).map((o) => (
                <option key={String(o)} value={String(o)}>
                  {String(o)}
                </option>
              ))}
            </select>
          );
        else if (f.kind === 'multiline' || f.kind === 'json')
          control = (
            <textarea
              className={`input ${f.kind === 'json' ? 'mono' : ''}`}
              rows={f.kind === 'json' ? 4 : 4}
              {...common}
              value={text}
              onChange={(e) => onChange(f.name, e.target.value)}
            />
          );
        else
          control = (
            <input
              className="input"
              type="text"
              inputMode={f.kind === 'number' ? 'decimal' : f.kind === 'integer' ? 'numeric' : undefined}
              {...common}
              value={text}
              onChange={(e) => onChange(f.name, e.target.value)}
            />
          );
        return (
          <div className={`field ${error ? 'has-error' : ''}`} key={f.name}>
            {f.kind === 'boolean' ? null : (
              <label className="field-label" htmlFor={id}>
                {f.label}
                {f.required ? <span className="port-req">*</span> : null}
                {f.kind === 'number' || f.kind === 'integer' ? <span className="muted"> {rangeHint(f)}</span> : null}
              </label>
            )}
            {control}
            {f.description ? (
              <div className="field-help" id={`${id}-help`}>
                {f.description}
              </div>
            ) : null}
            {error ? (
              <div className="field-error" id={`${id}-error`} role="alert" data-testid={`task-field-error-${f.name}`}>
                {error}
              </div>
            ) : null}
          </div>
        );
      })}
    </div>
  );
}

function rangeHint(f: FormField): string {
  const min = typeof f.schema.minimum === 'number' ? f.schema.minimum : undefined;
  const max = typeof f.schema.maximum === 'number' ? f.schema.maximum : undefined;
  const kind = f.kind === 'integer' ? 'whole number' : 'number';
  if (min !== undefined && max !== undefined) return `${kind}, ${min}–${max}`;
  if (min !== undefined) return `${kind}, ≥ ${min}`;
  if (max !== undefined) return `${kind}, ≤ ${max}`;
  return kind;
}
