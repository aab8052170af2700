/**
 * Run content (inputs, outputs, node facts) as a span attribute: JSON text of at most
 * `max` characters, secrets redacted. The cost is bounded by `max`, not by the size of the
 * value: the walk stops once the budget is spent and long strings are cut before they are
 * escaped, so a 50 MB model answer costs no more than a short one.
 */
import { REDACTED, redactString } from '../flows/redact';

/** Appended when the text was cut at the budget. */
export const TRUNCATED = '…[truncated]';

const MAX_DEPTH = 32;

/**
 * `value` as JSON text of at most `max` characters (plus the truncation marker), with
 * every secret replaced. Returns undefined for `max` 0 and for nothing to show (undefined,
 * empty object).
 */
export function boundedJson(value: unknown, max: number, secrets: string[]): string | undefined {
  if (max <= 0 || value === undefined) return undefined;
  if (isEmptyObject(value)) return undefined;
  // The usual case, a value well within the budget: the native serializer, then redaction.
  if (estimate(value, max, 0) <= max) {
    const json = JSON.stringify(value) as string | undefined;
    if (json !== undefined) {
      const clean = secrets.length > 0 ? redactJson(json, secrets) : json;
      return clean.length > max ? clean.slice(0, max) + TRUNCATED : clean;
    }
  }
  // A secret that begins inside the budget ends within `slack` characters after it, so
  // cutting strings at budget + slack before redaction never leaves a secret's prefix.
  const slack = secrets.reduce((m, s) => Math.max(m, s.length), 0);
  const w = new BoundedWriter(max);
  const text = (s: string): string => {
    const room = w.room();
    const cut = s.length > room + slack ? s.slice(0, room + slack) : s;
    return JSON.stringify(secrets.length > 0 ? redactString(cut, secrets) : cut);
  };
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): void => {
    if (w.full()) return;
    if (v === null || v === undefined) return w.put('null');
    switch (typeof v) {
      case 'string':
        return w.put(text(v));
      case 'number':
        return w.put(Number.isFinite(v) ? String(v) : 'null');
      case 'boolean':
        return w.put(v ? 'true' : 'false');
      case 'bigint':
        return w.put(text(v.toString()));
      case 'object':
        break;
      default:
        return w.put('null');
    }
    const obj = v as Record<string, unknown> & { toJSON?: () => unknown };
    if (typeof obj.toJSON === 'function') return walk(obj.toJSON(), depth);
    if (seen.has(obj) || depth >= MAX_DEPTH) return w.put('"[…]"');
    seen.add(obj);
    if (Array.isArray(obj)) {
      w.put('[');
      for (let i = 0; i < obj.length && !w.full(); i++) {
        if (i > 0) w.put(',');
        walk(obj[i], depth + 1);
      }
      w.put(']');
    } else {
      w.put('{');
      let first = true;
      for (const key in obj) {
        if (w.full()) break;
        if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
        const item = obj[key];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        if (!first) w.put(',');
        first = false;
        w.put(`${text(key)}:`);
        walk(item, depth + 1);
      }
      w.put('}');
    }
    seen.delete(obj);
  };
  walk(value, 0);
  return w.result();
}

/** Redacted text cut to `max` characters (error messages, skip reasons). */
export function boundedText(value: string, max: number, secrets: string[]): string {
  const slack = secrets.reduce((m, s) => Math.max(m, s.length), 0);
  const cut = value.length > max + slack ? value.slice(0, max + slack) : value;
  const clean = secrets.length > 0 ? redactString(cut, secrets) : cut;
  return clean.length > max ? clean.slice(0, max) + TRUNCATED : clean;
}

/** Replace each secret in JSON text, as written and as escaped inside a JSON string. */
function redactJson(json: string, secrets: string[]): string {
  let out = redactString(json, secrets);
  for (const s of secrets) {
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s && out.includes(escaped)) out = out.split(escaped).join(REDACTED);
  }
  return out;
}

/**
 * Roughly the length of `v` as JSON, counting stops past `budget` (so the cost is bounded
 * too). Cycles, `toJSON` and deep nesting count as over budget: the walker handles them.
 */
function estimate(v: unknown, budget: number, depth: number): number {
  if (v === null || v === undefined) return 4;
  switch (typeof v) {
    case 'string':
      return v.length + 2;
    case 'number':
    case 'boolean':
      return 8;
    case 'object':
      break;
    default:
      return budget + 1;
  }
  if (depth >= 8 || typeof (v as { toJSON?: unknown }).toJSON === 'function') return budget + 1;
  let n = 2;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length && n <= budget; i++) n += 1 + estimate(v[i], budget - n, depth + 1);
    return n;
  }
  for (const key in v) {
    if (n > budget) break;
    if (!Object.prototype.hasOwnProperty.call(v, key)) continue;
    n += key.length + 4 + estimate((v as Record<string, unknown>)[key], budget - n, depth + 1);
  }
  return n;
}

function isEmptyObject(v: unknown): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  return true;
}

class BoundedWriter {
  private readonly parts: string[] = [];
  private length = 0;

  constructor(private readonly max: number) {}

  room(): number {
    return Math.max(0, this.max - this.length);
  }

  full(): boolean {
    return this.length > this.max;
  }

  put(s: string): void {
    if (this.full()) return;
    this.parts.push(s);
    this.length += s.length;
  }

  result(): string {
    const text = this.parts.join('');
    return text.length > this.max ? text.slice(0, this.max) + TRUNCATED : text;
  }
}
