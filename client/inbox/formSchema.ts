/**
 * The input form of a human task, read from the task's `fields` JSON Schema: one field per
 * property (string, multiline text, number, integer, boolean, enum; anything else as JSON),
 * drafts kept as typed, and inline validation that names the field and says what to fix.
 */
import type { JsonSchema } from '../api/http';
import { numberProblem, toHalfWidth } from '../ui/NumberInput';

export type FormFieldKind = 'string' | 'multiline' | 'number' | 'integer' | 'boolean' | 'enum' | 'json';

export interface FormField {
  name: string;
  /** The schema's `title`, else the property name. */
  label: string;
  description?: string;
  kind: FormFieldKind;
  required: boolean;
  options?: unknown[];
  schema: JsonSchema;
}

/** What the reviewer typed, per field: text for text-like fields, a boolean for checkboxes. */
export type FormDrafts = Record<string, string | boolean>;

function typeOf(schema: JsonSchema): string | undefined {
  return Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
}

/**
 * Multiline text: `format: "textarea"` (or `"multiline"`), `x-multiline: true`, or a string
 * allowed to be longer than 200 characters.
 */
function isMultiline(schema: JsonSchema): boolean {
  if (schema.format === 'textarea' || schema.format === 'multiline' || schema['x-multiline'] === true) return true;
  return typeof schema.maxLength === 'number' && schema.maxLength > 200;
}

function kindOf(schema: JsonSchema): FormFieldKind {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return 'enum';
  const t = typeOf(schema);
  if (t === 'string') return isMultiline(schema) ? 'multiline' : 'string';
  if (t === 'number') return 'number';
  if (t === 'integer') return 'integer';
  if (t === 'boolean') return 'boolean';
  return 'json';
}

/** The fields of a form schema, in property order; a schema without properties has none. */
export function formFields(schema: JsonSchema | undefined | null): FormField[] {
  if (!schema || typeof schema !== 'object' || !schema.properties || typeof schema.properties !== 'object') return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  return Object.entries(schema.properties).map(([name, p]) => {
    const prop = (p && typeof p === 'object' ? p : {}) as JsonSchema;
    return {
      name,
      label: typeof prop.title === 'string' && prop.title ? prop.title : name,
      ...(typeof prop.description === 'string' ? { description: prop.description } : {}),
      kind: kindOf(prop),
      required: required.has(name),
      ...(Array.isArray(prop.enum) ? { options: prop.enum } : {}),
      schema: prop,
    };
  });
}

/** Drafts from the schema's defaults (booleans default to false). */
export function initialDrafts(fields: FormField[]): FormDrafts {
  const out: FormDrafts = {};
  for (const f of fields) {
    const d = f.schema.default;
    if (f.kind === 'boolean') out[f.name] = d === true;
    else if (d === undefined) out[f.name] = '';
    else if (f.kind === 'json') out[f.name] = JSON.stringify(d, null, 2);
    else out[f.name] = String(d);
  }
  return out;
}

const chars = (s: string) => [...s].length;

/** Why a string value breaks its schema, or null (lengths count characters, not UTF-16 units). */
function stringProblem(value: string, schema: JsonSchema): string | null {
  const min = typeof schema.minLength === 'number' ? schema.minLength : undefined;
  const max = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  if (min !== undefined && chars(value) < min) return `Enter at least ${min} character${min === 1 ? '' : 's'}.`;
  if (max !== undefined && chars(value) > max) return `Enter at most ${max} character${max === 1 ? '' : 's'}.`;
  if (typeof schema.pattern === 'string') {
    let re: RegExp | null = null;
    try {
      re = new RegExp(schema.pattern, 'u');
    } catch {
      re = null; // the server checks what the client cannot compile
    }
    if (re && !re.test(value)) return `Does not match the expected form (${schema.pattern}).`;
  }
  if (schema.format === 'email' && !/^[^\s@]+@[^\s@]+$/.test(value)) return 'Enter an email address.';
  return null;
}

export interface FormResult {
  /** The typed values of the filled-in fields (empty optional fields are left out). */
  values: Record<string, unknown>;
  /** Field name → what to fix. Empty when the form can be submitted. */
  errors: Record<string, string>;
}

/** Read and check the drafts against the fields. */
export function readForm(fields: FormField[], drafts: FormDrafts): FormResult {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = drafts[f.name];
    if (f.kind === 'boolean') {
      values[f.name] = raw === true;
      continue;
    }
    const text = typeof raw === 'string' ? raw : '';
    if (text.trim() === '') {
      if (f.required) errors[f.name] = `${f.label} is required.`;
      continue;
    }
    if (f.kind === 'number' || f.kind === 'integer') {
      const min = typeof f.schema.minimum === 'number' ? f.schema.minimum : undefined;
      const max = typeof f.schema.maximum === 'number' ? f.schema.maximum : undefined;
      const problem = numberProblem(text, { min, max, integer: f.kind === 'integer' });
      if (problem) errors[f.name] = problem;
      else values[f.name] = Number(toHalfWidth(text));
      continue;
    }
    if (f.kind === 'enum') {
      const option = (f.options ?? []).find((o) => String(o) === text);
      if (option === undefined) errors[f.name] = `Choose one of: ${(f.options ?? []).map(String).join(', ')}.`;
      else values[f.name] = option;
      continue;
    }
    if (f.kind === 'json') {
      try {
        values[f.name] = JSON.parse(text) as unknown;
      } catch (e) {
        errors[f.name] = `Not valid JSON: ${(e as Error).message}`;
      }
      continue;
    }
    const problem = stringProblem(text, f.schema);
    if (problem) errors[f.name] = problem;
    else values[f.name] = text;
  }
  return { values, errors };
}
