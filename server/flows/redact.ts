/**
 * Secret redaction for everything that leaves the process (responses, SSE, traces, logs):
 * the configured provider keys and the admin token are replaced wherever they appear.
 */
import type { RunEvent } from '../../shared';
import type { Config } from '../config';

export const REDACTED = '[redacted]';

/** The secret values of a config (only non-trivial ones, longest first). */
export function secretValues(config: Config): string[] {
  const values = [
    config.providers.openai.apiKey,
    config.providers.anthropic.apiKey,
    config.adminToken,
    // OTLP headers carry the tracing backend's credentials (`Bearer <token>`: the token too)
    ...Object.values(config.telemetry?.headers ?? {}).flatMap((v) => [v, /^[\w-]+\s+(\S+)$/.exec(v)?.[1]]),
  ];
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v.length >= 6))].sort(
    (a, b) => b.length - a.length,
  );
}

export function redactString(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Whether JSON text holds a secret (raw, or as escaped inside a JSON string). */
export function mentionsSecret(json: string, secrets: string[]): boolean {
  return secrets.some((s) => json.includes(s) || json.includes(JSON.stringify(s).slice(1, -1)));
}

/** Deep-redact a JSON-like value; returns the same value when nothing matched. */
export function redact<T>(value: T, secrets: string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return redactString(value, secrets) as T;
  if (value === null || typeof value !== 'object') return value;
  const json = JSON.stringify(value);
  if (json === undefined || !mentionsSecret(json, secrets)) return value;
  return JSON.parse(json, (_k, v: unknown) => (typeof v === 'string' ? redactString(v, secrets) : v)) as T;
}

/**
 * Redacts secrets from streamed text (model tokens), per stream key (run id + node id, since
 * the child runs of a map share node ids and one event stream): a secret
 * split across pieces is caught by holding back the shortest tail that could still begin
 * one. `flush` releases the held tail when the stream ends (node finished, failed, retried).
 */
export class StreamRedactor {
  private readonly held = new Map<string, string>();

  constructor(private readonly secrets: string[]) {}

  push(key: string, piece: string): string {
    if (this.secrets.length === 0) return piece;
    const text = redactString((this.held.get(key) ?? '') + piece, this.secrets);
    let keep = 0;
    for (const s of this.secrets) {
      for (let k = Math.min(s.length - 1, text.length); k > keep; k--) {
        if (text.endsWith(s.slice(0, k))) {
          keep = k;
          break;
        }
      }
    }
    this.held.set(key, text.slice(text.length - keep));
    return text.slice(0, text.length - keep);
  }

  flush(key: string): string {
    const rest = this.held.get(key) ?? '';
    this.held.delete(key);
    return redactString(rest, this.secrets);
  }
}

/**
 * A run event as it may leave the process: tokens through the stream redactor (a held
 * tail is released as a token when its node finishes, fails or retries), everything else
 * deep-redacted. Returns zero, one or two events.
 */
export function streamEvents(raw: RunEvent, stream: StreamRedactor, secrets: string[]): RunEvent[] {
  if (secrets.length === 0) return [raw];
  if (raw.type === 'token') {
    const token = stream.push(streamKey(raw.runId, raw.nodeId), raw.token);
    return token ? [{ ...raw, token }] : [];
  }
  const out: RunEvent[] = [];
  if (raw.type === 'node_finished' || raw.type === 'node_failed' || raw.type === 'node_retry') {
    const tail = stream.flush(streamKey(raw.runId, raw.nodeId));
    if (tail) out.push({ type: 'token', runId: raw.runId, nodeId: raw.nodeId, token: tail });
  }
  out.push(redact(raw, secrets));
  return out;
}

/** The stream key of one node of one run (node ids repeat across the runs of a tree). */
function streamKey(runId: string, nodeId: string): string {
  return `${runId}\u0000${nodeId}`;
}
