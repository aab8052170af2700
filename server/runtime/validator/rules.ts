/**
 * The validator node's rules. `checkRules` runs every rule and returns every problem (not
 * just the first), plus facts for the span (PII counts, injection patterns).
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { ValidatorRule } from '../../../shared/nodes/validator';
import { stringifyValue } from '../../../shared';
import { compileUserRegex } from '../../../shared/regex';
import { guardedRegexTest } from '../regex-guard';
import { detectPii } from './pii';
import { detectInjection } from './injection';

export interface RuleError {
  /** Index of the rule in `config.rules` (-1: the value is not JSON although `parseJson` is set). */
  rule: number;
  kind: ValidatorRule['kind'] | 'parse_json';
  message: string;
  /** JSON pointer inside the value (JSON schema rules). */
  path?: string;
}

export interface RulesOutcome {
  errors: RuleError[];
  /** Facts for the span: `promptInjection`, `injectionPatterns`, `pii`. */
  meta: Record<string, unknown>;
}

// ajv-formats is CommonJS; its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, ownProperties: true, validateFormats: true }));
const compiled = new WeakMap<object, ValidateFunction>();

function schemaValidator(schema: Record<string, unknown>): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Deep equality of JSON values (key order does not matter). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object')
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.prototype.hasOwnProperty.call(b, k) &&
      deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}

const asText = (value: unknown): string => stringifyValue(value);

export function checkRules(value: unknown, rules: readonly ValidatorRule[]): RulesOutcome {
  const errors: RuleError[] = [];
  const meta: Record<string, unknown> = {};
  rules.forEach((rule, index) => {
    const fail = (message: string, path?: string): void => {
      errors.push({ rule: index, kind: rule.kind, message, ...(path !== undefined ? { path } : {}) });
    };
    switch (rule.kind) {
      case 'json_schema': {
        let validate: ValidateFunction;
        try {
          validate = schemaValidator(rule.schema);
        } catch (err) {
          fail(`the JSON schema is invalid: ${(err as Error).message}`);
          break;
        }
        if (!validate(value)) {
          for (const e of validate.errors ?? [])
            fail(`${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`, e.instancePath || '');
        }
        break;
      }
      case 'regex': {
        // RE2 (no backtracking: (a+)+$ is harmless), costly matches under a hard time limit.
        try {
          compileUserRegex(rule.pattern, rule.flags);
        } catch (err) {
          fail(`invalid regular expression: ${(err as Error).message}`);
          break;
        }
        let matched: boolean;
        try {
          matched = guardedRegexTest(rule.pattern, rule.flags, asText(value));
        } catch (err) {
          fail((err as Error).message);
          break;
        }
        if (!matched) fail(`does not match /${rule.pattern}/${rule.flags}`);
        break;
      }
      case 'contains':
      case 'not_contains': {
        const text = rule.caseSensitive ? asText(value) : asText(value).toLowerCase();
        const needle = rule.caseSensitive ? rule.value : rule.value.toLowerCase();
        const has = text.includes(needle);
        if (rule.kind === 'contains' && !has) fail(`does not contain "${rule.value}"`);
        if (rule.kind === 'not_contains' && has) fail(`contains "${rule.value}"`);
        break;
      }
      case 'length': {
        let n: number;
        let unit: string;
        if (typeof value === 'string') {
          n = [...value].length;
          unit = 'characters';
        } else if (Array.isArray(value)) {
          n = value.length;
          unit = 'items';
        } else {
          fail(`length applies to strings and arrays, got ${value === null ? 'null' : typeof value}`);
          break;
        }
        if (rule.min !== undefined && n < rule.min) fail(`too short: ${n} ${unit}, at least ${rule.min}`);
        if (rule.max !== undefined && n > rule.max) fail(`too long: ${n} ${unit}, at most ${rule.max}`);
        break;
      }
      case 'enum': {
        if (!rule.values.some((v) => deepEqual(v, value))) {
          fail(`must be one of ${rule.values.map((v) => JSON.stringify(v)).join(', ')}`);
        }
        break;
      }
      case 'pii': {
        const findings = detectPii(asText(value), rule.detect);
        if (findings.length > 0) {
          const counts: Record<string, number> = {};
          for (const f of findings) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
          meta.pii = counts;
          const names = { email: 'an email address', phone: 'a phone number', card: 'a card number' } as const;
          for (const f of findings) fail(`contains ${names[f.kind]} (${f.masked})`);
        }
        break;
      }
      case 'prompt_injection': {
        const patterns = detectInjection(asText(value));
        meta.promptInjection = patterns.length > 0;
        if (patterns.length > 0) {
          meta.injectionPatterns = patterns;
          fail(`looks like a prompt injection (${patterns.join(', ')})`);
        }
        break;
      }
    }
  });
  return { errors, meta };
}
