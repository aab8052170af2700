/**
 * Check a run's inputs against the flow's declared inputs: required, type, default.
 * Only declared inputs are accepted, so a request cannot smuggle anything else into a run.
 */
import type { Flow, FlowIO, PortType } from '../../shared';
import { RunInputError } from './types';

export function checkRunInputs(flow: Flow, inputs: unknown): Record<string, unknown> {
  const issues: Array<{ path: string; message: string }> = [];
  if (inputs === undefined || inputs === null) inputs = {};
  if (typeof inputs !== 'object' || Array.isArray(inputs)) {
    throw new RunInputError([{ path: 'inputs', message: 'must be an object of input values' }]);
  }
  const given = inputs as Record<string, unknown>;
  const declared = new Map<string, FlowIO>((flow.inputs ?? []).map((d) => [d.name, d]));
  // Null prototype: no key, not even `__proto__` from a JSON body, can reach Object.prototype.
  const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!declared.has(key)) {
      const names = [...declared.keys()];
      issues.push({
        path: `inputs.${key}`,
        message: `unknown input (the flow declares ${names.length ? names.join(', ') : 'no inputs'})`,
      });
    }
  }
  for (const d of declared.values()) {
    const path = `inputs.${d.name}`;
    const has = Object.hasOwn(given, d.name) && given[d.name] !== undefined;
    if (!has) {
      if (d.default !== undefined) out[d.name] = structuredClone(d.default);
      else if (d.required) issues.push({ path, message: 'required' });
      continue;
    }
    const value = given[d.name];
    const problem = typeProblem(value, d.type ?? 'string');
    if (problem) issues.push({ path, message: problem });
    else out[d.name] = value;
  }
  if (issues.length > 0) throw new RunInputError(issues);
  return out;
}

/** Why `value` is not of port type `type`, or undefined when it is. */
export function typeProblem(value: unknown, type: PortType): string | undefined {
  switch (type) {
    case 'any':
      return undefined;
    case 'json':
      return isJsonValue(value, 0) ? undefined : 'must be JSON (no functions, undefined or non-finite numbers)';
    case 'string':
      return typeof value === 'string' ? undefined : `expected a string, got ${describe(value)}`;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? undefined
        : `expected a finite number, got ${describe(value)}`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `expected a boolean, got ${describe(value)}`;
    case 'messages':
      return Array.isArray(value) &&
        value.every(
          (m) =>
            isPlainObject(m) &&
            typeof m.role === 'string' &&
            (typeof m.content === 'string' || Array.isArray(m.content)),
        )
        ? undefined
        : 'expected a list of chat messages ({ role, content })';
    case 'documents':
      return Array.isArray(value) && value.every((d) => isPlainObject(d) || typeof d === 'string')
        ? undefined
        : 'expected a list of documents ({ text, metadata? })';
    case 'list':
      return Array.isArray(value) ? undefined : `expected a list, got ${describe(value)}`;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJsonValue(v: unknown, depth: number): boolean {
  if (depth > 100) return false;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJsonValue(x, depth + 1));
  if (isPlainObject(v)) return Object.values(v).every((x) => isJsonValue(x, depth + 1));
  return false;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
