/**
 * Secret redaction for everything that leaves the process (responses, SSE, traces, logs):
 * the configured provider keys and the admin token are replaced wherever they appear.
 */
import type { Config } from '../config';

export const REDACTED = '[redacted]';

/** The secret values of a config (only non-trivial ones, longest first). */
export function secretValues(config: Config): string[] {
  const values = [config.providers.openai.apiKey, config.providers.anthropic.apiKey, config.adminToken];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
}

export function redactString(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Deep-redact a JSON-like value; returns the same value when nothing matched. */
export function redact<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactString(value, secrets) as T;
  if (value === null || typeof value !== 'object') return value;
  const json = JSON.stringify(value);
  if (json === undefined || !secrets.some((s) => json.includes(s) || json.includes(JSON.stringify(s).slice(1, -1))))
    return value;
  return JSON.parse(json, (_k, v: unknown) => (typeof v === 'string' ? redactString(v, secrets) : v)) as T;
}
