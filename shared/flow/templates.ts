/**
 * Finds the mustache templates in a node's (raw, possibly invalid) config and checks
 * their syntax without rendering them. Which fields are templates comes from the node
 * type's declaration: `editors` entries with language `mustache`, plus `templates`.
 */
import { RESERVED_NAMES, SAFE_VARIABLE, TemplateSyntaxError, templateVariables } from '../template';
import type { NodeTypeDefinition } from '../nodes/define';

export interface TemplateIssue {
  /** Path inside the node's config, e.g. `['messages', 0, 'content']`. */
  path: Array<string | number>;
  message: string;
}

/** Dotted paths of a node type's template fields. */
export function templateFields(def: Pick<NodeTypeDefinition, 'editors' | 'templates'>): string[] {
  const fields = new Set<string>();
  for (const [field, lang] of Object.entries(def.editors ?? {})) if (lang === 'mustache') fields.add(field);
  for (const field of def.templates ?? []) fields.add(field);
  return [...fields];
}

/** Syntax problems of every template in `config` (bad mustache, partials, unusable variable names). */
export function checkTemplates(
  def: Pick<NodeTypeDefinition, 'editors' | 'templates'>,
  config: unknown,
): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  for (const field of templateFields(def)) walk(config, field.split('.'), [], issues);
  return issues;
}

function walk(value: unknown, rest: string[], path: Array<string | number>, issues: TemplateIssue[]): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => walk(item, rest, [...path, i], issues));
    return;
  }
  if (rest.length === 0) {
    if (typeof value === 'string') check(value, path, issues, 'template');
    else if (isObject(value)) {
      // A record of templates (e.g. HTTP headers): its keys and values are both templates.
      for (const [key, v] of Object.entries(value)) {
        check(key, [...path, key], issues, 'key');
        if (typeof v === 'string') check(v, [...path, key], issues, 'template');
      }
    }
    return;
  }
  if (!isObject(value)) return;
  const [head, ...tail] = rest;
  if (Object.prototype.hasOwnProperty.call(value, head)) walk(value[head], tail, [...path, head], issues);
}

function check(text: string, path: Array<string | number>, issues: TemplateIssue[], what: 'template' | 'key'): void {
  const where = what === 'key' ? 'in the key: ' : '';
  try {
    for (const v of templateVariables(text)) {
      if (!SAFE_VARIABLE.test(v.name)) {
        issues.push({
          path,
          message: RESERVED_NAMES.has(v.name)
            ? `${where}{{${v.name}}} is a reserved name (__proto__, constructor and prototype cannot be variables)`
            : `${where}{{${v.name}}} is not a usable variable name (letters, digits and "_", not starting with a digit); it would always render empty`,
        });
      }
    }
  } catch (err) {
    if (!(err instanceof TemplateSyntaxError)) throw err;
    issues.push({ path, message: `${where}bad mustache template: ${err.message}` });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
