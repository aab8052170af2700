/**
 * Generates the files that are derived from shared/ (never edit them by hand):
 *
 * - shared/flow.schema.json — JSON Schema (draft 2020-12) of a flow file, from the zod
 *   schema, with each node type's config schema under `$defs` and applied by `type`;
 * - docs/nodes.md — the node reference, from the node type registry.
 *
 * `npm run gen` writes them; test/gen-drift.test.ts fails when the committed files differ
 * from what this script would write.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { flowSchema, CURRENT_SCHEMA_VERSION } from '../shared/flow/schema';
import { nodeTypes } from '../shared/nodes/registry';
import type { NodeTypeDefinition, PortContext } from '../shared/nodes/define';
import { PORT_TYPES, portTypesCompatible, type PortSpec } from '../shared/ports';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const FLOW_SCHEMA_PATH = 'shared/flow.schema.json';
export const NODES_DOC_PATH = 'docs/nodes.md';
export const FLOW_SCHEMA_ID = `urn:braid:flow:v${CURRENT_SCHEMA_VERSION}`;

type JsonSchema = Record<string, unknown>;

function toJsonSchema(schema: z.ZodType): JsonSchema {
  // `input`: what a file may contain (fields with defaults are optional).
  return z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as JsonSchema;
}

/** The node type's config schema, standalone (no `$schema`, no references to outside it). */
export function nodeConfigJsonSchema(def: NodeTypeDefinition): JsonSchema {
  const { $schema: _drop, ...schema } = toJsonSchema(def.config);
  if (JSON.stringify(schema).includes('"$ref"')) {
    throw new Error(`the config schema of node type "${def.type}" uses $ref; gen.ts must hoist its $defs`);
  }
  return { title: `${def.title} config`, description: def.docs, ...schema };
}

/** The JSON Schema of a flow file, as written to shared/flow.schema.json. */
export function buildFlowJsonSchema(): JsonSchema {
  const { $schema, ...base } = toJsonSchema(flowSchema);
  const defs: Record<string, JsonSchema> = {};
  const byType: JsonSchema[] = [];
  for (const [type, def] of Object.entries(nodeTypes)) {
    const name = `${type}Config`;
    defs[name] = nodeConfigJsonSchema(def as unknown as NodeTypeDefinition);
    // A type whose config has required fields needs a `config` (validateFlow parses a missing one as {}).
    const needsConfig = !def.config.safeParse({}).success;
    byType.push({
      if: { properties: { type: { const: type } }, required: ['type'] },
      then: { properties: { config: { $ref: `#/$defs/${name}` } }, ...(needsConfig ? { required: ['config'] } : {}) },
    });
  }
  const properties = base.properties as Record<string, JsonSchema>;
  const nodeItems = (properties.nodes as { items: JsonSchema }).items;
  const nodeProps = nodeItems.properties as Record<string, JsonSchema>;
  nodeProps.type = { ...nodeProps.type, enum: Object.keys(nodeTypes) };
  nodeItems.allOf = byType;
  return {
    $schema,
    $id: FLOW_SCHEMA_ID,
    title: 'Braid flow',
    description: `A Braid flow file (*.flow.json), schemaVersion ${CURRENT_SCHEMA_VERSION}. Generated from shared/flow/schema.ts and shared/nodes/ by \`npm run gen\`; do not edit. Rules a JSON Schema cannot express (unique ids, existing ports, compatible port types, required inputs, no cycles) are checked by \`braid validate\`.`,
    ...base,
    $defs: defs,
  };
}

export function flowSchemaText(): string {
  return `${JSON.stringify(buildFlowJsonSchema(), null, 2)}\n`;
}

// ---------------------------------------------------------------- docs/nodes.md

const EXAMPLE_FLOW: PortContext['flow'] = {
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
};

/** The called flow the examples of subflow, map and loop nodes refer to (any id resolves to it). */
const EXAMPLE_CALLED_FLOW: PortContext['flow'] = {
  inputs: [
    { name: 'document', type: 'string', required: true },
    { name: 'style', type: 'string', default: 'one sentence' },
  ],
  outputs: [
    { name: 'summary', type: 'string' },
    { name: 'verdict', type: 'string' },
  ],
};

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => `\`${s}\``;

function typeText(s: JsonSchema): string {
  if ('const' in s) return code(JSON.stringify(s.const));
  if (Array.isArray(s.enum)) return s.enum.map((v) => code(JSON.stringify(v))).join(' | ');
  const variants = (s.oneOf ?? s.anyOf) as JsonSchema[] | undefined;
  if (variants) return variants.map(typeText).join(' or ');
  if (s.type === 'array') {
    const items = (s.items ?? {}) as JsonSchema;
    return isStructured(items) ? 'list of objects (below)' : `list of ${typeText(items)}`;
  }
  if (s.type === 'object') {
    if (s.properties) return 'object (below)';
    const values = s.additionalProperties as JsonSchema | undefined;
    return values && Object.keys(values).length > 0 ? `map of ${typeText(values)}` : 'object';
  }
  if (typeof s.type === 'string') return s.type;
  return 'any JSON';
}

function isStructured(s: JsonSchema): boolean {
  return Boolean(s.properties) || Boolean(s.oneOf) || Boolean(s.anyOf);
}

function constraints(s: JsonSchema): string {
  const out: string[] = [];
  const add = (key: string, label: string): void => {
    const v = s[key];
    // z.int() bounds itself to the safe-integer range; that is noise in a table.
    if (v === undefined || v === Number.MAX_SAFE_INTEGER || v === Number.MIN_SAFE_INTEGER) return;
    out.push(`${label} ${String(v)}`);
  };
  add('minimum', 'min');
  add('maximum', 'max');
  add('minLength', 'min length');
  add('maxLength', 'max length');
  add('minItems', 'at least');
  add('maxItems', 'at most');
  if (typeof s.pattern === 'string') out.push(`matches ${code(s.pattern)}`);
  if (typeof s.description === 'string') out.push(s.description);
  return out.join('; ');
}

/** Field tables of an object schema, or one per variant of a discriminated union, then nested lists/objects. */
function fieldTables(s: JsonSchema, label: string, depth: number): string[] {
  const variants = (s.oneOf ?? s.anyOf) as JsonSchema[] | undefined;
  if (variants) {
    const out: string[] = [];
    for (const v of variants) {
      const props = (v.properties ?? {}) as Record<string, JsonSchema>;
      const disc = Object.entries(props).find(([, p]) => 'const' in p);
      const name = disc ? `${label} with ${code(`${disc[0]}: ${JSON.stringify(disc[1].const)}`)}` : label;
      out.push(...fieldTables(v, name, depth));
    }
    return out;
  }
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required ?? []) as string[]);
  const out = [`${'#'.repeat(Math.min(depth, 6))} ${label}`, ''];
  if (Object.keys(props).length === 0) return [...out, 'No fields.', ''];
  out.push('| field | type | default | required | notes |', '| --- | --- | --- | --- | --- |');
  const nested: Array<[string, JsonSchema]> = [];
  for (const [name, p] of Object.entries(props)) {
    const def = p.default === undefined ? '' : code(JSON.stringify(p.default));
    const req = required.has(name) && p.default === undefined ? 'yes' : '';
    out.push(`| ${code(name)} | ${esc(typeText(p))} | ${esc(def)} | ${req} | ${esc(constraints(p))} |`);
    if (p.type === 'array' && isStructured((p.items ?? {}) as JsonSchema))
      nested.push([`${name}[]`, p.items as JsonSchema]);
    else if (p.type === 'object' && p.properties) nested.push([name, p]);
  }
  out.push('');
  for (const [name, sub] of nested) out.push(...fieldTables(sub, `Items of ${code(name)}`, depth + 1));
  return out;
}

function portTable(ports: PortSpec[], withRequired: boolean): string[] {
  if (ports.length === 0) return ['None.', ''];
  const head = withRequired
    ? ['| port | type | required |', '| --- | --- | --- |']
    : ['| port | type |', '| --- | --- |'];
  const rows = ports.map(
    (p) => `| ${code(p.name)} | ${code(p.type)} |${withRequired ? ` ${p.required ? 'yes' : ''} |` : ''}`,
  );
  return [...head, ...rows, ''];
}

function nodeSection(def: NodeTypeDefinition): string[] {
  const configSchema = nodeConfigJsonSchema(def);
  const example = def.config.parse(def.example ?? {});
  const ctx: PortContext = { flow: EXAMPLE_FLOW, flows: () => EXAMPLE_CALLED_FLOW };
  const out = [`## ${code(def.type)} — ${def.title}`, '', `Category: ${def.category}.`, '', def.docs, ''];
  if (def.example !== undefined) {
    out.push('Example config:', '', '```json', JSON.stringify(def.example, null, 2), '```', '');
  }
  const ctxNote =
    def.type === 'input' || def.type === 'output'
      ? ' (for a flow with input `question` and output `answer`)'
      : def.flowRefs
        ? ' (calling a flow with inputs `document` (required) and `style` (with a default), outputs `summary` and `verdict`)'
        : '';
  const what = def.example !== undefined ? 'the example config' : 'the default config';
  out.push(`### Ports`, '', `Ports are functions of the config; with ${what}${ctxNote}:`, '');
  out.push('Inputs:', '', ...portTable(def.inputs(example, ctx), true));
  out.push('Outputs:', '', ...portTable(def.outputs(example, ctx), false));
  out.push(...fieldTables(configSchema, 'Config', 3));
  const editors = Object.entries(def.editors ?? {});
  if (editors.length > 0) {
    out.push(`Edited as code in the inspector: ${editors.map(([f, lang]) => `${code(f)} (${lang})`).join(', ')}.`, '');
  }
  return out;
}

function compatibilityMatrix(): string[] {
  const head = `| from \\ to | ${PORT_TYPES.map(code).join(' | ')} |`;
  const sep = `| --- | ${PORT_TYPES.map(() => ':---:').join(' | ')} |`;
  const rows = PORT_TYPES.map(
    (s) => `| ${code(s)} | ${PORT_TYPES.map((t) => (portTypesCompatible(s, t) ? 'yes' : '—')).join(' | ')} |`,
  );
  return [head, sep, ...rows, ''];
}

/** The text of docs/nodes.md. */
export function nodesDocText(): string {
  const defs = Object.values(nodeTypes) as unknown as NodeTypeDefinition[];
  const lines = [
    '# Node reference',
    '',
    '<!-- Generated from shared/nodes/ by `npm run gen` (scripts/gen.ts). Do not edit by hand. -->',
    '',
    'Every node type is declared once in `shared/nodes/<type>.ts`: metadata, a config schema with defaults, and ports as functions of the config. A node in a flow file names its type and carries its `config`; fields left out take the defaults below. See [flow-format.md](flow-format.md) for the file itself.',
    '',
    '| type | title | category |',
    '| --- | --- | --- |',
    ...defs.map(
      (d) =>
        `| [${code(d.type)}](#${d.type}--${d.title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}) | ${d.title} | ${d.category} |`,
    ),
    '',
    '## Port types',
    '',
    `Ports carry one of: ${PORT_TYPES.map(code).join(', ')}. An edge may join an output to an input when the types are compatible (\`portTypesCompatible\` in shared/ports.ts):`,
    '',
    ...compatibilityMatrix(),
  ];
  for (const def of defs) lines.push(...nodeSection(def));
  return `${lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

/** Every generated file: repo-relative path → content. */
export function generatedFiles(): Record<string, string> {
  return { [FLOW_SCHEMA_PATH]: flowSchemaText(), [NODES_DOC_PATH]: nodesDocText() };
}

function main(): void {
  for (const [rel, text] of Object.entries(generatedFiles())) {
    writeFileSync(path.join(ROOT, rel), text);
    console.log(`wrote ${rel} (${text.length} bytes)`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
