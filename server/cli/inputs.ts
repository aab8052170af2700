/** Parse `--input k=v` and `--inputs-json` into run inputs, typed by the flow's declarations. */
import type { Flow } from '../../shared';
import { CliExit, EXIT_USAGE } from './errors';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseInputs(flow: Pick<Flow, 'inputs'>, pairs: string[], inputsJson?: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  if (inputsJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(inputsJson);
    } catch (err) {
      throw new CliExit(EXIT_USAGE, `--inputs-json: invalid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new CliExit(EXIT_USAGE, '--inputs-json: must be a JSON object');
    for (const [k, v] of Object.entries(parsed)) if (k !== '__proto__') out[k] = v;
  }
  const types = new Map(flow.inputs.map((i) => [i.name, i.type ?? 'string']));
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliExit(EXIT_USAGE, `--input ${pair}: expected name=value`);
    const name = pair.slice(0, eq);
    const text = pair.slice(eq + 1);
    if (name === '__proto__') throw new CliExit(EXIT_USAGE, `--input ${pair}: invalid name`);
    const type = types.get(name);
    if (type === undefined || type === 'string') {
      out[name] = text;
      continue;
    }
    // Non-string inputs take JSON (numbers, booleans, objects); plain text stays a string.
    try {
      out[name] = JSON.parse(text);
    } catch {
      out[name] = text;
    }
  }
  return { ...out };
}
