/**
 * The on-disk text of a flow: pretty JSON (2 spaces, trailing newline) with a stable key
 * order so that git diffs stay readable, and a parser whose syntax errors carry a line
 * and column.
 *
 * Key order: the flow, its nodes, edges, inputs/outputs, positions and retry settings
 * follow the field order of the zod schema (schema.ts); keys the schema does not know
 * (UI state such as `selected` or `measured`) are never written. Inside a node's config,
 * the config's own keys and the keys of the objects in its lists (messages, rules,
 * branches, …) come in a fixed order: `CONFIG_KEY_PRIORITY` first, then alphabetical. Deeper objects and maps (a JSON schema, headers, a filter, node `values`,
 * an input's `default`) keep their authored order, which may carry meaning (a JSON
 * schema's property order steers some models). `undefined` values are dropped.
 */
import type { z } from 'zod';
import {
  flowEdgeSchema,
  flowIOSchema,
  flowNodeSchema,
  flowNoteSchema,
  flowSchema,
  noteSizeSchema,
  positionSchema,
  retrySchema,
  type Flow,
  type FlowInput,
} from './schema';

/** Keys that lead inside a node config (and its list items), in this order; the rest follow alphabetically. */
export const CONFIG_KEY_PRIORITY = ['id', 'kind', 'mode', 'name', 'role', 'type', 'title', 'model'] as const;

type Spec =
  | { kind: 'fields'; keys: string[]; children: Record<string, Spec> }
  | { kind: 'list'; of: Spec }
  /** A node config: keys ordered; lists directly inside it hold ordered items; other values as authored. */
  | { kind: 'config' }
  /** An object in one of a config's lists (a message, a rule, a branch): keys ordered, values as authored. */
  | { kind: 'item' }
  | { kind: 'asis' };

const ASIS: Spec = { kind: 'asis' };

function fields(schema: z.ZodObject, children: Record<string, Spec> = {}): Spec {
  return { kind: 'fields', keys: Object.keys(schema.shape), children };
}

const ioSpec = fields(flowIOSchema, { default: ASIS });
const configSpec: Spec = { kind: 'config' };
const ITEM: Spec = { kind: 'item' };
const nodeSpec = fields(flowNodeSchema, {
  position: fields(positionSchema),
  retry: fields(retrySchema),
  config: configSpec,
  values: ASIS,
});
const FLOW_SPEC = fields(flowSchema, {
  inputs: { kind: 'list', of: ioSpec },
  outputs: { kind: 'list', of: ioSpec },
  nodes: { kind: 'list', of: nodeSpec },
  edges: { kind: 'list', of: fields(flowEdgeSchema) },
  notes: {
    kind: 'list',
    of: fields(flowNoteSchema, { position: fields(positionSchema), size: fields(noteSizeSchema) }),
  },
});

/** The flow's file text: stable key order, 2-space indent, trailing newline. */
export function serializeFlow(flow: Flow | FlowInput): string {
  return `${emit(flow, FLOW_SPEC, '') ?? '{}'}\n`;
}

function compareConfigKeys(a: string, b: string): number {
  const pa = (CONFIG_KEY_PRIORITY as readonly string[]).indexOf(a);
  const pb = (CONFIG_KEY_PRIORITY as readonly string[]).indexOf(b);
  if (pa !== pb) return pa === -1 ? 1 : pb === -1 ? -1 : pa - pb;
  return a < b ? -1 : a > b ? 1 : 0;
}

function childOf(spec: Spec, key: string, value: unknown): Spec {
  if (spec.kind === 'fields') return spec.children[key] ?? ASIS;
  if (spec.kind === 'config' && Array.isArray(value)) return { kind: 'list', of: ITEM };
  return ASIS;
}

function emit(value: unknown, spec: Spec, indent: string): string | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'bigint') throw new TypeError('a flow cannot contain a BigInt');
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return emit(toJSON.call(value), spec, indent);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const itemSpec = spec.kind === 'list' ? spec.of : ASIS;
    const items = value.map((v) => emit(v, itemSpec, inner) ?? 'null');
    return `[\n${items.map((s) => inner + s).join(',\n')}\n${indent}]`;
  }
  const obj = value as Record<string, unknown>;
  const own = Object.keys(obj);
  let keys: string[];
  if (spec.kind === 'fields') keys = spec.keys.filter((k) => Object.prototype.hasOwnProperty.call(obj, k));
  else if (spec.kind === 'config' || spec.kind === 'item') keys = [...own].sort(compareConfigKeys);
  else keys = own;
  const parts: string[] = [];
  for (const key of keys) {
    const text = emit(obj[key], childOf(spec, key, obj[key]), inner);
    if (text !== undefined) parts.push(`${inner}${JSON.stringify(key)}: ${text}`);
  }
  return parts.length === 0 ? '{}' : `{\n${parts.join(',\n')}\n${indent}}`;
}

/** A JSON syntax error in a flow file, with a 1-based line and column. */
export class FlowSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  /** 0-based offset into the text (after a leading BOM, if any). */
  readonly offset: number;
  constructor(detail: string, offset: number, text: string) {
    const { line, column } = lineColumn(text, offset);
    super(`invalid JSON at line ${line}, column ${column}: ${detail}`);
    this.name = 'FlowSyntaxError';
    this.line = line;
    this.column = column;
    this.offset = offset;
  }
}

/** Parse a flow file's text into a JSON value (validate it next). Throws `FlowSyntaxError`. */
export function parseFlowText(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as unknown;
  } catch (err) {
    const found = findJsonError(body);
    if (found) throw new FlowSyntaxError(found.message, found.offset, body);
    throw new FlowSyntaxError((err as Error).message, 0, body);
  }
}

export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

class ScanError {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

/**
 * Where and why `text` is not JSON (RFC 8259), or null when it is. Iterative, so deep
 * nesting cannot overflow the stack. Only used after JSON.parse failed, whose messages
 * differ between engines and lack line numbers.
 */
export function findJsonError(text: string): { message: string; offset: number } | null {
  let i = 0;
  const n = text.length;
  const fail = (message: string, at = i): never => {
    throw new ScanError(message, at);
  };
  const ws = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const describeChar = (): string => (i >= n ? 'the end of the text' : `${JSON.stringify(text[i])}`);
  const string = (): void => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= n) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 34) {
        i++;
        return;
      }
      if (c === 92) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape (needs 4 hex digits)');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail(`bad escape "\\${e ?? ''}" in string`);
        continue;
      }
      if (c < 0x20) fail('control character in string (newlines and tabs must be escaped as \\n and \\t)');
      i++;
    }
  };
  const scalar = (): void => {
    const c = text[i];
    if (c === '"') return string();
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (!m || m[0] === '-') fail('bad number');
      i += (m as RegExpExecArray)[0].length;
      if (i < n && /[0-9.eE]/.test(text[i])) fail('bad number');
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    if (i >= n) fail('unexpected end of text, expected a value');
    if (c === "'") fail('strings must use double quotes');
    fail(`unexpected ${describeChar()}, expected a value`);
  };
  const key = (): void => {
    ws();
    if (text[i] === '}') fail('trailing comma before "}"');
    if (text[i] !== '"') fail(`expected a property name in double quotes, found ${describeChar()}`);
    string();
    ws();
    if (text[i] !== ':') fail(`expected ":" after a property name, found ${describeChar()}`);
    i++;
  };
  try {
    const stack: Array<'{' | '['> = [];
    for (;;) {
      // Expect a value.
      ws();
      let closedEmpty = false;
      if (text[i] === '{' || text[i] === '[') {
        const open = text[i] as '{' | '[';
        i++;
        ws();
        if (text[i] === (open === '{' ? '}' : ']')) {
          i++;
          closedEmpty = true;
        } else {
          stack.push(open);
          if (open === '{') key();
          continue;
        }
      }
      if (!closedEmpty) scalar();
      // After a value: close containers or move to the next element.
      for (;;) {
        ws();
        const top = stack[stack.length - 1];
        if (top === undefined) {
          if (i < n) fail(`unexpected ${describeChar()} after the end of the JSON value`);
          return null;
        }
        if (text[i] === ',') {
          i++;
          if (top === '{') key();
          else {
            ws();
            if (text[i] === ']') fail('trailing comma before "]"');
          }
          break;
        }
        if (text[i] === (top === '{' ? '}' : ']')) {
          i++;
          stack.pop();
          continue;
        }
        fail(
          top === '{'
            ? `expected "," or "}" after a property value, found ${describeChar()}`
            : `expected "," or "]" after an array element, found ${describeChar()}`,
        );
      }
    }
  } catch (err) {
    if (err instanceof ScanError) return { message: err.message, offset: err.offset };
    throw err;
  }
}
