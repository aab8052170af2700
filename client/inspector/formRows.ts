/** A form's JSON Schema as editable rows (one per field) and back. */
import type { JsonSchema } from '../api/http';
import { SAFE_VARIABLE } from '../../shared/template';

export type RowType = 'string' | 'multiline' | 'number' | 'integer' | 'boolean' | 'enum';

export interface FieldRow {
  name: string;
  type: RowType;
  required: boolean;
  /** Choices of an `enum` row. */
  options: string[];
  /** Other keywords of the property (title, description, minimum…), kept as they are. */
  rest: Record<string, unknown>;
}

export const ROW_TYPES: Array<[RowType, string]> = [
  ['string', 'text'],
  ['multiline', 'long text'],
  ['number', 'number'],
  ['integer', 'whole number'],
  ['boolean', 'yes / no'],
  ['enum', 'choice'],
];

const MULTILINE_KEYS = ['format', 'x-multiline'];

/** Rows for a schema, or null when it holds something the rows cannot show (edit as JSON). */
export function rowsOf(schema: unknown): FieldRow[] | null {
  if (schema === undefined) return [];
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return null;
  const s = schema as JsonSchema;
  const extra = Object.keys(s).filter((k) => !['type', 'properties', 'required', 'additionalProperties'].includes(k));
  if (extra.length || (s.type !== undefined && s.type !== 'object')) return null;
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  const rows: FieldRow[] = [];
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    if (!raw || typeof raw !== 'object') return null;
    const { type, enum: options, ...rest } = raw;
    let rowType: RowType;
    if (Array.isArray(options)) {
      if ((type !== undefined && type !== 'string') || !options.every((o) => typeof o === 'string')) return null;
      rowType = 'enum';
    } else if (type === 'string') {
      const multi = rest.format === 'textarea' || rest.format === 'multiline' || rest['x-multiline'] === true;
      rowType = multi ? 'multiline' : 'string';
      if (multi) for (const k of MULTILINE_KEYS) delete rest[k];
    } else if (type === 'number' || type === 'integer' || type === 'boolean') rowType = type;
    else return null;
    rows.push({
      name,
      type: rowType,
      required: required.has(name),
      options: Array.isArray(options) ? (options as string[]) : [],
      rest,
    });
  }
  return rows;
}

/** The JSON Schema of rows (undefined when there are none: the node has no form). */
export function schemaOf(rows: FieldRow[]): JsonSchema | undefined {
  if (rows.length === 0) return undefined;
  const properties: Record<string, JsonSchema> = {};
  for (const r of rows) {
    const p: JsonSchema = { ...r.rest };
    if (r.type === 'enum') Object.assign(p, { type: 'string', enum: r.options });
    else if (r.type === 'multiline') Object.assign(p, { type: 'string', format: 'textarea' });
    else p.type = r.type;
    properties[r.name] = p;
  }
  const required = rows.filter((r) => r.required).map((r) => r.name);
  return { type: 'object', properties, ...(required.length ? { required } : {}) };
}

/** Why the rows cannot be saved (by row index), or an empty object. */
export function rowProblems(rows: FieldRow[]): Record<number, string> {
  const out: Record<number, string> = {};
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    if (!r.name) out[i] = 'Name the field.';
    else if (!SAFE_VARIABLE.test(r.name)) out[i] = 'Use letters, digits and _ (start with a letter or _).';
    else if (seen.has(r.name)) out[i] = `“${r.name}” is already a field.`;
    else if (r.type === 'enum' && r.options.length === 0) out[i] = 'List at least one choice.';
    seen.add(r.name);
  });
  return out;
}
