/**
 * The generated files (shared/flow.schema.json, docs/nodes.md) must be what `npm run gen`
 * would write now; and the published JSON Schema must agree with the zod schema on the
 * example flows and on a few broken ones.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { generatedFiles, ROOT, FLOW_SCHEMA_PATH, buildFlowJsonSchema, nodesDocText } from '../scripts/gen';
import { nodeTypes } from '../shared/nodes/registry';
import { parseFlowText } from '../shared/flow/serialize';
import { validateFlow, FLOW_PROBLEM_CODES } from '../shared/flow/validate';
import { serializeFlow } from '../shared/flow/serialize';
import type { FlowInput } from '../shared/flow/schema';

describe('generated files', () => {
  for (const [rel, expected] of Object.entries(generatedFiles())) {
    it(`${rel} is up to date (run \`npm run gen\` after changing shared/)`, () => {
      const actual = readFileSync(path.join(ROOT, rel), 'utf8');
      expect(actual).toBe(expected);
    });
  }

  it('documents every node type and its config fields', () => {
    const doc = nodesDocText();
    for (const def of Object.values(nodeTypes)) {
      expect(doc).toContain(`## \`${def.type}\` — ${def.title}`);
      expect(doc).toContain(def.docs);
    }
    expect(doc).toContain('| `temperature` | number | `0` |');
    expect(doc).toContain('### Config with `kind: "http"`');
  });
});

describe('shared/flow.schema.json', () => {
  const schema = buildFlowJsonSchema();
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const check = ajv.compile(schema);

  it('is a draft 2020-12 schema with an $id, a title and one config definition per node type', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toMatch(/^urn:braid:flow:v\d+$/);
    expect(schema.title).toBe('Braid flow');
    expect(Object.keys(schema.$defs as object).sort()).toEqual(
      Object.keys(nodeTypes)
        .map((t) => `${t}Config`)
        .sort(),
    );
    expect(JSON.parse(readFileSync(path.join(ROOT, FLOW_SCHEMA_PATH), 'utf8'))).toEqual(schema);
  });

  const flowsDir = path.join(ROOT, 'flows');
  const files = readdirSync(flowsDir).filter((f) => f.endsWith('.flow.json'));

  it('finds example flows to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  // Example flows call each other (subflow, map, loop): validate each with the others' interfaces.
  const interfaces = new Map(
    files.map((f) => {
      const flow = parseFlowText(readFileSync(path.join(flowsDir, f), 'utf8')) as FlowInput;
      return [flow.id, { inputs: flow.inputs ?? [], outputs: flow.outputs ?? [] }] as const;
    }),
  );
  const flows = (id: string) =>
    interfaces.has(id)
      ? (validateFlow({ schemaVersion: 1, id, name: id, nodes: [], ...interfaces.get(id) }).flow ?? undefined)
      : undefined;

  for (const file of files) {
    it(`accepts flows/${file}, as validateFlow does`, () => {
      const raw = parseFlowText(readFileSync(path.join(flowsDir, file), 'utf8'));
      expect(validateFlow(raw, { flows }).ok).toBe(true);
      expect(check(raw), JSON.stringify(check.errors)).toBe(true);
    });
  }

  const base = (): Record<string, unknown> => ({
    schemaVersion: 1,
    id: 'x',
    name: 'X',
    nodes: [
      { id: 'p', type: 'prompt', position: { x: 0, y: 0 }, config: { messages: [{ role: 'user', content: 'hi' }] } },
    ],
    edges: [],
  });

  it('accepts a minimal valid flow', () => {
    expect(check(base()), JSON.stringify(check.errors)).toBe(true);
  });

  const broken: Array<[string, (f: Record<string, unknown>) => void, string]> = [
    [
      'a bad node config (per node type)',
      (f) => ((f.nodes as Array<{ config: Record<string, unknown> }>)[0].config.temperature = 5),
      '/nodes/0/config/temperature',
    ],
    [
      'an unknown config field',
      (f) => ((f.nodes as Array<{ config: Record<string, unknown> }>)[0].config.colour = 'red'),
      '/nodes/0/config',
    ],
    ['an unsafe id', (f) => (f.id = 'Not Safe'), '/id'],
    ['an unknown node type', (f) => ((f.nodes as Array<{ type: string }>)[0].type = 'promt'), '/nodes/0/type'],
    [
      'a node without the config its type requires',
      (f) =>
        (f.nodes as Array<Record<string, unknown>>).push({ id: 'kb', type: 'retrieval', position: { x: 0, y: 0 } }),
      '/nodes/1',
    ],
    ['a future schemaVersion', (f) => (f.schemaVersion = 2), '/schemaVersion'],
    ['UI state on a node', (f) => ((f.nodes as Array<Record<string, unknown>>)[0].selected = true), '/nodes/0'],
  ];
  for (const [what, mutate, where] of broken) {
    it(`refuses ${what}, as validateFlow does`, () => {
      const flow = base();
      mutate(flow);
      expect(validateFlow(flow).ok).toBe(false);
      expect(check(flow)).toBe(false);
      expect(check.errors?.some((e) => e.instancePath === where)).toBe(true);
    });
  }
});

describe('docs/flow-format.md', () => {
  const doc = readFileSync(path.join(ROOT, 'docs/flow-format.md'), 'utf8');

  it('shows an example that is valid and written exactly as serializeFlow writes it', () => {
    const block = /```json\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const text = (block as RegExpExecArray)[1];
    const res = validateFlow(parseFlowText(text));
    expect(res.problems).toEqual([]);
    expect(serializeFlow(res.flow as FlowInput)).toBe(text);
  });

  it('documents every validation code with its severity', () => {
    for (const [code, severity] of Object.entries(FLOW_PROBLEM_CODES)) {
      expect(doc).toMatch(new RegExp(`\\| \`${code}\` +\\| ${severity} +\\|`));
    }
  });
});
