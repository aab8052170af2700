import { NumberInput } from '../ui/NumberInput';
import { lazy, Suspense, useState, type ReactNode } from 'react';
import type { JsonSchema } from '../api/http';
import type { EditorLanguage } from './CodeEditor';
import { ModelPicker } from './ModelPicker';
import { FlowPicker, KnowledgeBasePicker } from './Pickers';
import { AgentToolsEditor } from './AgentTools';
import { FormSchemaEditor } from './FormSchemaEditor';
import { DurationInput } from './DurationInput';

const CodeEditor = lazy(() => import('./CodeEditor'));

export interface FormContext {
  /** Monaco fields by dotted path without indices (`messages.content`). */
  editors: Record<string, EditorLanguage>;
  /** Validation messages by dotted path with indices (`messages.0.content`). */
  errors: Record<string, string>;
}

interface FieldProps {
  schema: JsonSchema;
  value: unknown;
  onChange(v: unknown): void;
  path: (string | number)[];
  ctx: FormContext;
  label?: string;
  required?: boolean;
}

const keyPath = (path: (string | number)[]) => path.filter((p) => typeof p === 'string').join('.');
const fullPath = (path: (string | number)[]) => path.join('.');

function variants(schema: JsonSchema): JsonSchema[] | null {
  const list = schema.oneOf ?? schema.anyOf;
  return Array.isArray(list) ? list : null;
}

/** The discriminator of a union of objects: a property that is `const` in every variant. */
function discriminator(list: JsonSchema[]): string | null {
  const first = list[0]?.properties;
  if (!first) return null;
  for (const key of Object.keys(first)) {
    if (list.every((v) => v.properties?.[key] && v.properties[key].const !== undefined)) return key;
  }
  return null;
}

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

function JsonText({ value, onChange, label }: { value: unknown; onChange(v: unknown): void; label: string }) {
  const [text, setText] = useState(() => (value === undefined ? '' : JSON.stringify(value, null, 2)));
  const [err, setErr] = useState<string | null>(null);
  return (
    <Suspense fallback={<textarea className="input mono" readOnly value={text} />}>
      <CodeEditor
        value={text}
        language="json"
        height={110}
        ariaLabel={label}
        onChange={(t) => {
          setText(t);
          if (t.trim() === '') {
            setErr(null);
            return onChange(undefined);
          }
          try {
            onChange(JSON.parse(t));
            setErr(null);
          } catch (e) {
            setErr(`Not valid JSON yet: ${(e as Error).message}`);
          }
        }}
      />
      {err ? <div className="field-error">{err}</div> : null}
    </Suspense>
  );
}

function Labeled({
  label,
  required,
  error,
  description,
  children,
}: {
  label?: string;
  required?: boolean;
  error?: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field ${error ? 'has-error' : ''}`}>
      {label ? (
        <label className="field-label">
          {label}
          {required ? <span className="port-req">*</span> : null}
        </label>
      ) : null}
      {children}
      {description ? <div className="field-help">{description}</div> : null}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

/** One field of a config form, chosen from its JSON Schema. */
export function Field({ schema, value, onChange, path, ctx, label, required }: FieldProps) {
  const error = ctx.errors[fullPath(path)];
  const lang = ctx.editors[keyPath(path)];
  const t = typeOf(schema);
  const dflt = schema.default;
  const common = { label, required, error, description: schema.description };

  if (schema.widget === 'formSchema')
    return (
      <Labeled {...common}>
        <FormSchemaEditor value={value} onChange={onChange} />
      </Labeled>
    );

  const list = variants(schema);
  if (list) {
    const key = discriminator(list);
    const objs = list.filter((v) => typeOf(v) === 'object');
    if (key && objs.length === list.length) {
      const current = (value as Record<string, unknown> | undefined)?.[key];
      const chosen = list.find((v) => v.properties?.[key]?.const === current) ?? list[0];
      return (
        <Labeled {...common}>
          <select
            className="input"
            aria-label={`${label ?? 'variant'} ${key}`}
            value={String(chosen.properties?.[key]?.const ?? '')}
            onChange={(e) => onChange({ [key]: e.target.value })}
          >
            {list.map((v) => (
              <option key={String(v.properties?.[key]?.const)}>{String(v.properties?.[key]?.const)}</option>
            ))}
          </select>
          <ObjectFields
            schema={chosen}
            value={{ ...(value as object), [key]: chosen.properties?.[key]?.const }}
            onChange={onChange}
            path={path}
            ctx={ctx}
            skip={key}
          />
        </Labeled>
      );
    }
    const nonNull = list.filter((v) => typeOf(v) !== 'null');
    if (nonNull.length === 1)
      return <Field {...{ schema: { ...nonNull[0], default: dflt }, value, onChange, path, ctx, label, required }} />;
    return (
      <Labeled {...common}>
        <JsonText value={value} onChange={onChange} label={label ?? 'value'} />
      </Labeled>
    );
  }

  if (schema.enum) {
    return (
      <Labeled {...common}>
        <select
          className="input"
          aria-label={label}
          value={String(value ?? dflt ?? '')}
          onChange={(e) => onChange(e.target.value)}
        >
          {value === undefined && dflt === undefined ? <option value="">—</option> : null}
          {schema.enum.map((v) => (
            <option key={String(v)}>{String(v)}</option>
          ))}
        </select>
      </Labeled>
    );
  }
  if (t === 'string') {
    if (lang) {
      return (
        <Labeled {...common}>
          <Suspense fallback={<textarea className="input mono" readOnly value={String(value ?? '')} />}>
            <CodeEditor
              value={String(value ?? dflt ?? '')}
              language={lang}
              onChange={onChange}
              height={lang === 'javascript' ? 180 : 96}
              ariaLabel={label}
            />
          </Suspense>
        </Labeled>
      );
    }
    // Widgets named by the node declaration (`.meta({ widget })`), never guessed from names.
    const widget = schema.widget;
    if (widget === 'model')
      return (
        <Labeled {...common}>
          <ModelPicker value={String(value ?? dflt ?? '')} onChange={onChange} />
        </Labeled>
      );
    if (widget === 'flow')
      return (
        <Labeled {...common}>
          <FlowPicker value={String(value ?? '')} onChange={onChange} label={label ?? 'flow'} />
        </Labeled>
      );
    if (widget === 'knowledgeBase')
      return (
        <Labeled {...common}>
          <KnowledgeBasePicker value={String(value ?? '')} onChange={onChange} label={label ?? 'knowledge base'} />
        </Labeled>
      );
    return (
      <Labeled {...common}>
        <input
          className="input"
          aria-label={label}
          value={String(value ?? '')}
          placeholder={dflt !== undefined ? String(dflt) : ''}
          onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
        />
      </Labeled>
    );
  }
  if ((t === 'number' || t === 'integer') && schema.widget === 'duration')
    return (
      <Labeled {...common}>
        <DurationInput
          label={label ?? 'duration'}
          value={typeof value === 'number' ? value : undefined}
          max={schema.maximum}
          onChange={onChange}
        />
      </Labeled>
    );
  if (t === 'number' || t === 'integer') {
    return (
      <Labeled {...common}>
        <NumberInput
          label={label ?? 'value'}
          integer={t === 'integer'}
          min={schema.minimum}
          max={schema.maximum}
          allowEmpty
          value={typeof value === 'number' ? value : undefined}
          placeholder={dflt !== undefined ? String(dflt) : ''}
          onChange={onChange}
        />
      </Labeled>
    );
  }
  if (t === 'boolean') {
    return (
      <div className={`field field-inline ${error ? 'has-error' : ''}`}>
        <label className="check">
          <input
            type="checkbox"
            checked={Boolean(value ?? dflt ?? false)}
            onChange={(e) => onChange(e.target.checked)}
          />{' '}
          {label}
        </label>
        {error ? <div className="field-error">{error}</div> : null}
      </div>
    );
  }
  if (t === 'array' && schema.widget === 'agentTools')
    return (
      <Labeled {...common}>
        <AgentToolsEditor value={value} onChange={onChange} errors={ctx.errors} path={fullPath(path)} />
      </Labeled>
    );
  if (t === 'array' && schema.items) {
    const items = Array.isArray(value) ? value : Array.isArray(dflt) ? (dflt as unknown[]) : [];
    const it = schema.items;
    if (typeOf(it) === 'string' && !it.enum && !lang) {
      return (
        <Labeled {...common}>
          <textarea
            className="input"
            rows={2}
            placeholder="one per line"
            value={items.join('\n')}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value.split('\n'))}
          />
        </Labeled>
      );
    }
    if (typeOf(it) === 'object' || variants(it)) {
      return (
        <Labeled {...common}>
          <div className="array">
            {items.map((item, i) => (
              <div className="array-item" key={i}>
                <div className="array-item-head">
                  <span className="muted small">#{i + 1}</span>
                  <button
                    type="button"
                    className="btn-icon"
                    aria-label={`Remove ${label} ${i + 1}`}
                    onClick={() => onChange(items.filter((_, j) => j !== i))}
                  >
                    ×
                  </button>
                </div>
                <Field
                  schema={it}
                  value={item}
                  onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))}
                  path={[...path, i]}
                  ctx={ctx}
                />
              </div>
            ))}
            <button type="button" className="btn btn-small" onClick={() => onChange([...items, newItem(it)])}>
              + Add {label ? label.replace(/s$/, '') : 'item'}
            </button>
          </div>
        </Labeled>
      );
    }
  }
  if (t === 'object' && schema.properties)
    return (
      <Labeled {...common}>
        <ObjectFields schema={schema} value={value} onChange={onChange} path={path} ctx={ctx} />
      </Labeled>
    );
  return (
    <Labeled {...common}>
      <JsonText value={value} onChange={onChange} label={label ?? 'value'} />
    </Labeled>
  );
}

function newItem(schema: JsonSchema): unknown {
  const list = variants(schema);
  const s = list ? list[0] : schema;
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    if (p.const !== undefined) out[k] = p.const;
    else if ((s.required ?? []).includes(k) && typeOf(p) === 'string') out[k] = p.default ?? '';
  }
  return out;
}

/** A property with `showWhen` is shown only while its siblings have the named values (defaults count). */
function shown(p: JsonSchema, parent: JsonSchema, obj: Record<string, unknown>): boolean {
  const when = p.showWhen;
  if (!when || typeof when !== 'object') return true;
  return Object.entries(when).every(([k, want]) => (obj[k] ?? parent.properties?.[k]?.default) === want);
}

/** The properties of an object schema, one field each. */
export function ObjectFields({
  schema,
  value,
  onChange,
  path,
  ctx,
  skip,
}: {
  schema: JsonSchema;
  value: unknown;
  onChange(v: unknown): void;
  path: (string | number)[];
  ctx: FormContext;
  skip?: string;
}) {
  const obj = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
  return (
    <div className="fields">
      {Object.entries(schema.properties ?? {})
        .filter(([k, p]) => k !== skip && shown(p, schema, obj))
        .map(([k, p]) => (
          <Field
            key={k}
            schema={p}
            label={k}
            required={(schema.required ?? []).includes(k) && p.default === undefined}
            value={obj[k]}
            path={[...path, k]}
            ctx={ctx}
            onChange={(v) => {
              const next = { ...obj };
              if (v === undefined) delete next[k];
              else next[k] = v;
              onChange(next);
            }}
          />
        ))}
    </div>
  );
}
