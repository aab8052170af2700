/**
 * JSON replies from models: tolerant parsing (```json fences, prose around one JSON
 * value) and JSON Schema checks with ajv (compiled once per schema, all errors reported).
 */
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { NodeError } from '../runtime/types';

export type JsonParseResult = { ok: true; value: unknown } | { ok: false; error: string };

const FENCE = /^```[a-zA-Z0-9_-]*\s*\n?([\s\S]*?)\n?\s*```$/;

/** Parse a model reply as JSON: the whole reply, a fenced block, or the outermost {…} / […]. */
export function parseJsonReply(text: string): JsonParseResult {
  const trimmed = text.trim();
  const candidates: string[] = [];
  const fenced = FENCE.exec(trimmed);
  if (fenced) candidates.push(fenced[1].trim());
  else {
    candidates.push(trimmed);
    const inner = /```(?:json)?\s*\n([\s\S]*?)\n\s*```/i.exec(trimmed);
    if (inner) candidates.push(inner[1].trim());
    for (const [open, close] of [
      ['{', '}'],
      ['[', ']'],
    ] as const) {
      const a = trimmed.indexOf(open);
      const b = trimmed.lastIndexOf(close);
      if (a >= 0 && b > a) candidates.push(trimmed.slice(a, b + 1));
    }
  }
  let firstError = '';
  for (const c of candidates) {
    try {
      return { ok: true, value: JSON.parse(c) };
    } catch (err) {
      firstError ||= (err as Error).message;
    }
  }
  return { ok: false, error: firstError || 'empty reply' };
}

// ajv-formats is CJS with a default export; under ESM interop it may arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, ownProperties: true, validateSchema: true }));
// `textarea` is a form hint (a multi-line text field in the Inbox), not a constraint: any string.
ajv.addFormat('textarea', true);
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 500;

/** A compiled validator for a JSON schema (cached by the schema's JSON). Throws NodeError `invalid_config`. */
export function schemaValidator(schema: Record<string, unknown>, path = 'config.jsonSchema'): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    try {
      v = ajv.compile(schema);
    } catch (err) {
      throw new NodeError('invalid_config', `invalid JSON schema: ${(err as Error).message}`, { path });
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, v);
  }
  return v;
}

/** Human-readable lines for ajv errors: `/items/0/name: must be string`. */
export function formatSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const where = e.instancePath || '/';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : '';
    return `${where}: ${e.message ?? e.keyword}${extra}`;
  });
}

/** Check a value against a schema; returns the problems (empty when valid). */
export function checkSchema(value: unknown, schema: Record<string, unknown>): string[] {
  const v = schemaValidator(schema);
  return v(value) ? [] : formatSchemaErrors(v.errors);
}
