import Mustache from 'mustache';

/** A variable found in a mustache template. */
export interface TemplateVariable {
  name: string;
  /** `value` for `{{x}}` / `{{{x}}}`, `section` for `{{#x}}…{{/x}}` and `{{^x}}…{{/x}}`. */
  usage: 'value' | 'section';
}

export class TemplateSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateSyntaxError';
  }
}

type Token = [string, string, number, number, Token[]?, number?];

/**
 * Top-level variables of a mustache template, in order of first use.
 * Names inside a section refer to the section's items and are not variables,
 * unless they use a dotted path from the root (`{{a.b}}` → `a`).
 * Partials (`{{> x}}`) are refused: Braid renders templates without partials.
 */
export function templateVariables(template: string): TemplateVariable[] {
  let tokens: Token[];
  try {
    tokens = writer.parse(template) as unknown as Token[];
  } catch (err) {
    throw new TemplateSyntaxError((err as Error).message);
  }
  const seen = new Map<string, TemplateVariable>();
  const visit = (list: Token[], depth: number): void => {
    for (const token of list) {
      const [kind, name] = token;
      if (kind === '>') throw new TemplateSyntaxError(`partials are not supported ({{> ${name}}})`);
      if (kind === 'text' || kind === '!' || kind === '=') continue;
      const root = name.split('.')[0];
      const isSection = kind === '#' || kind === '^';
      if (depth === 0 && root !== '' && root !== '.') {
        const usage: TemplateVariable['usage'] = isSection && !name.includes('.') ? 'section' : 'value';
        const prev = seen.get(root);
        if (!prev) seen.set(root, { name: root, usage });
        else if (usage === 'section') prev.usage = 'section';
      }
      if (isSection && token[4]) visit(token[4], depth + 1);
    }
  };
  visit(tokens, 0);
  return [...seen.values()];
}

/** Variables of several templates merged, first use wins the order. */
export function templatesVariables(templates: string[]): TemplateVariable[] {
  const out = new Map<string, TemplateVariable>();
  for (const t of templates) {
    for (const v of templateVariables(t)) {
      const prev = out.get(v.name);
      if (!prev) out.set(v.name, { ...v });
      else if (v.usage === 'section') prev.usage = 'section';
    }
  }
  return [...out.values()];
}

/**
 * Names that are never variables, ports or flow inputs/outputs: as plain-object keys they
 * reach Object.prototype (`__proto__`) or shadow what every object inherits.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Safe variable names double as port names (and flow input/output names). */
export const SAFE_VARIABLE = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]*$/;

/** The message that goes with SAFE_VARIABLE. */
export const SAFE_VARIABLE_MESSAGE =
  'must be a valid variable name ([A-Za-z_][A-Za-z0-9_]*) other than __proto__, constructor or prototype';

/**
 * Parsed templates shared by every parse and render (parsing is most of a render's cost).
 * Bounded in entries and in characters of template text; only the parse is cached, each
 * render still runs on its own view. Mustache's own global cache (on its default writer)
 * grows without bound with every distinct template, so it is switched off below and
 * nothing here goes through the default writer.
 */
export const PARSE_CACHE_MAX = 2_000;
export const PARSE_CACHE_MAX_CHARS = 4_000_000;
class BoundedTemplateCache {
  private readonly map = new Map<string, unknown>();
  private chars = 0;
  get size(): number {
    return this.map.size;
  }
  get totalChars(): number {
    return this.chars;
  }
  set(key: string, value: unknown): void {
    if (key.length > PARSE_CACHE_MAX_CHARS / 8) return; // huge templates are parsed each time
    const old = this.map.get(key);
    if (old !== undefined) {
      this.map.delete(key);
      this.chars -= key.length;
    }
    while (this.map.size > 0 && (this.map.size >= PARSE_CACHE_MAX || this.chars + key.length > PARSE_CACHE_MAX_CHARS)) {
      const oldest = this.map.keys().next().value!;
      this.map.delete(oldest);
      this.chars -= oldest.length;
    }
    this.map.set(key, value);
    this.chars += key.length;
  }
  get(key: string): unknown {
    return this.map.get(key);
  }
  clear(): void {
    this.map.clear();
    this.chars = 0;
  }
}
/** Exported for tests: the one parse cache behind templateVariables and renderTemplate. */
export const templateParseCache = new BoundedTemplateCache();

// Mustache.parse/render go through a default writer whose cache keeps every template ever seen.
(Mustache as { templateCache: unknown }).templateCache = undefined;

function newWriter(): InstanceType<typeof Mustache.Writer> {
  const writer = new Mustache.Writer();
  Object.assign(writer, { templateCache: templateParseCache }); // the Writer API (untyped in @types/mustache)
  return writer;
}
/** Writers keep no per-render state: one serves every parse and render. */
const writer = newWriter();

/**
 * Render a template once, with no partials and no lambdas: functions in the view are
 * never called (they render as empty), values are not HTML-escaped (prompts are not HTML).
 * `escape` writes each `{{value}}` (default: stringifyValue); `{{{value}}}` is written raw.
 * The http tool passes URL- and JSON-string escaping here.
 */
export function renderTemplate(
  template: string,
  view: Record<string, unknown>,
  escape: (value: unknown) => string = stringifyValue,
): string {
  const safeView = stripFunctions(view);
  return writer.render(template, new DataOnlyContext(safeView), {}, { escape: (s: unknown) => escape(s) } as never);
}

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * One step of a name lookup, reading only data the caller passed: own properties of plain
 * objects, elements and `length` of arrays. Nothing is read from a primitive (`{{constructor.name}}`
 * inside a section over numbers renders nothing, `length` of a string too) or from a prototype.
 */
function step(value: unknown, key: string): { hit: boolean; value?: unknown } {
  if (Array.isArray(value)) {
    if (key === 'length') return { hit: true, value: value.length };
    if (/^(0|[1-9]\d*)$/.test(key) && Number(key) < value.length) return { hit: true, value: value[Number(key)] };
    return { hit: false };
  }
  if (value !== null && typeof value === 'object' && hasOwn(value, key))
    return { hit: true, value: (value as Record<string, unknown>)[key] };
  return { hit: false };
}

/**
 * Mustache's name lookup, restricted to the view's own data: `.` is the current item,
 * `a.b.c` walks own properties (see `step`), a name missing from the current item is looked
 * up in the enclosing sections as mustache does. Functions are never called.
 */
class DataOnlyContext extends Mustache.Context {
  override push(view: unknown): Mustache.Context {
    return new DataOnlyContext(view, this);
  }
  override lookup(name: string): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walks the context chain from this one
    for (let ctx: Mustache.Context | undefined = this; ctx; ctx = ctx.parent) {
      let found: { hit: boolean; value?: unknown };
      if (name === '.') found = { hit: true, value: ctx.view as unknown };
      else {
        found = { hit: true, value: ctx.view as unknown };
        for (const key of name.split('.')) {
          found = step(found.value, key);
          if (!found.hit) break;
        }
      }
      if (found.hit) return typeof found.value === 'function' ? undefined : found.value;
      if (name === '.') break;
    }
    return undefined;
  }
}

function stripFunctions(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (typeof value === 'function') return undefined;
  if (Array.isArray(value)) return value.map((v) => stripFunctions(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== 'function') out[k] = stripFunctions(v, depth + 1);
    }
    return out;
  }
  return value;
}

/** How a value is written into a template: strings as-is, everything else as JSON. */
export function stringifyValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
