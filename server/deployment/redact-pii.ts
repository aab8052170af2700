/**
 * PII redaction of what the request log stores (optional per deployment): every string
 * in a JSON value has its e-mail addresses, phone numbers and card numbers replaced by
 * `[email]`, `[phone]`, `[card]`. Detection is the validator node's (server/runtime/validator/pii.ts).
 */
import { detectPii, type PiiFinding } from '../runtime/validator/pii';

const KINDS = ['email', 'phone', 'card'] as const;

/** End offset of a finding in `text` (the detector reports start and a masked form). */
function findingEnd(text: string, f: PiiFinding): number {
  if (f.kind === 'email') {
    let i = f.index;
    while (i < text.length && /[A-Za-z0-9._%+@-]/.test(text[i] ?? '')) i++;
    while (i > f.index && /[.-]/.test(text[i - 1] ?? '')) i--;
    return i;
  }
  // Masked digits keep the last four: the number of digits is the masked length.
  const digits = f.masked.length;
  let seen = 0;
  let i = f.index;
  while (i < text.length && seen < digits) {
    if (/\d/.test(text[i] ?? '')) seen++;
    i++;
  }
  return i;
}

export function redactPiiText(text: string): string {
  if (text.length < 6) return text;
  const found = detectPii(text, KINDS);
  if (found.length === 0) return text;
  let out = '';
  let at = 0;
  for (const f of found) {
    if (f.index < at) continue;
    out += `${text.slice(at, f.index)}[${f.kind}]`;
    at = findingEnd(text, f);
  }
  return out + text.slice(at);
}

/** Deep copy of a JSON-like value with PII masked in every string. */
export function redactPii<T>(value: T, depth = 0): T {
  if (typeof value === 'string') return redactPiiText(value) as T;
  if (value === null || typeof value !== 'object' || depth > 100) return value;
  if (Array.isArray(value)) return value.map((v) => redactPii(v, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactPii(v, depth + 1);
  return out as T;
}
