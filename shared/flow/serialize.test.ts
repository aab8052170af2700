import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { serializeFlow, parseFlowText, findJsonError, FlowSyntaxError, lineColumn } from './serialize';
import { validateFlow } from './validate';
import type { FlowInput } from './schema';

describe('serializeFlow', () => {
  it('writes the stable key order, 2-space indent and a trailing newline; drops UI state and undefined', () => {
    const flow = {
      edges: [{ targetPort: 'q', target: 'b', sourcePort: 'result', source: 'a', selected: true }],
      nodes: [
        {
          config: { template: 'x', mode: 'template' },
          position: { y: 2, x: 1 },
          type: 'transform',
          id: 'a',
          data: { label: 'UI only' },
          selected: true,
          measured: { width: 100 },
        },
        {
          notes: undefined,
          retry: { baseMs: 100, max: 1 },
          title: 'Answer',
          id: 'b',
          type: 'prompt',
          position: { x: 3, y: 4 },
          config: {
            temperature: 0,
            jsonSchema: { type: 'object', properties: { reasoning: { type: 'string' }, answer: { type: 'string' } } },
            messages: [{ content: '{{q}}', role: 'user' }],
            model: 'openai:gpt-4o-mini',
          },
        },
      ],
      name: 'Demo',
      id: 'demo',
      schemaVersion: 1,
      viewport: { zoom: 2 },
    } as unknown as FlowInput;
    expect(serializeFlow(flow)).toBe(
      `{
  "schemaVersion": 1,
  "id": "demo",
  "name": "Demo",
  "nodes": [
    {
      "id": "a",
      "type": "transform",
      "position": {
        "x": 1,
        "y": 2
      },
      "config": {
        "mode": "template",
        "template": "x"
      }
    },
    {
      "id": "b",
      "type": "prompt",
      "title": "Answer",
      "position": {
        "x": 3,
        "y": 4
      },
      "config": {
        "model": "openai:gpt-4o-mini",
        "jsonSchema": {
          "type": "object",
          "properties": {
            "reasoning": {
              "type": "string"
            },
            "answer": {
              "type": "string"
            }
          }
        },
        "messages": [
          {
            "role": "user",
            "content": "{{q}}"
          }
        ],
        "temperature": 0
      },
      "retry": {
        "max": 1,
        "baseMs": 100
      }
    }
  ],
  "edges": [
    {
      "source": "a",
      "sourcePort": "result",
      "target": "b",
      "targetPort": "q"
    }
  ]
}
`,
    );
  });

  it('keeps the field order of DESIGN.md for flows, nodes and edges', () => {
    const full = {
      schemaVersion: 1,
      id: 'x',
      name: 'X',
      description: 'd',
      tags: ['t'],
      inputs: [{ name: 'q', type: 'string', required: true, description: 'd', default: 'v' }],
      outputs: [],
      nodes: [
        {
          id: 'n',
          type: 'input',
          title: 't',
          position: { x: 0, y: 0 },
          config: {},
          values: {},
          timeoutMs: 5,
          retry: { max: 1, baseMs: 1 },
          notes: 'n',
        },
      ],
      edges: [],
    };
    const parsed = JSON.parse(serializeFlow(full as FlowInput));
    expect(Object.keys(parsed)).toEqual([
      'schemaVersion',
      'id',
      'name',
      'description',
      'tags',
      'inputs',
      'outputs',
      'nodes',
      'edges',
    ]);
    expect(Object.keys(parsed.nodes[0])).toEqual([
      'id',
      'type',
      'title',
      'position',
      'config',
      'values',
      'timeoutMs',
      'retry',
      'notes',
    ]);
    expect(Object.keys(parsed.inputs[0])).toEqual(['name', 'type', 'required', 'description', 'default']);
  });

  it('writes what validateFlow accepted so that it validates again to the same flow', () => {
    const raw = {
      schemaVersion: 1,
      id: 'qa',
      name: 'QA',
      inputs: [{ name: 'question' }],
      nodes: [{ id: 'p', type: 'prompt', position: { x: 0, y: 0 } }],
      edges: [{ source: 'p', sourcePort: 'text', target: 'p', targetPort: 'question' }].slice(0, 0),
    };
    const first = validateFlow(raw);
    const text = serializeFlow(first.flow as FlowInput);
    const again = validateFlow(parseFlowText(text));
    expect(again.flow).toEqual(first.flow);
    expect(serializeFlow(again.flow as FlowInput)).toBe(text);
  });
});

const id = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,8}$/);
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const portType = fc.constantFrom('string', 'number', 'boolean', 'json', 'messages', 'documents', 'any');
const io = fc.record(
  { name, type: portType, required: fc.boolean(), description: fc.string(), default: fc.jsonValue() },
  { requiredKeys: ['name'] },
);
const node = fc.record(
  {
    id,
    type: fc.constantFrom('prompt', 'transform', 'tool', 'input', 'output'),
    title: fc.string(),
    position: fc.record({ x: num, y: num }),
    config: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }),
    values: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    timeoutMs: fc.integer({ min: 1, max: 100_000 }),
    retry: fc.record({ max: fc.nat(10), baseMs: fc.nat(1000) }),
    notes: fc.string(),
  },
  { requiredKeys: ['id', 'type', 'position'] },
);
const edgeArb = fc.record({ source: id, sourcePort: name, target: id, targetPort: name });
const flowArb = fc.record(
  {
    schemaVersion: fc.constant(1),
    id,
    name: fc.string({ minLength: 1 }),
    description: fc.string(),
    tags: fc.array(fc.string(), { maxLength: 3 }),
    inputs: fc.array(io, { maxLength: 3 }),
    outputs: fc.array(io, { maxLength: 3 }),
    nodes: fc.array(node, { maxLength: 5 }),
    edges: fc.array(edgeArb, { maxLength: 5 }),
  },
  { requiredKeys: ['schemaVersion', 'id', 'name', 'nodes'] },
) as fc.Arbitrary<FlowInput>;

function shuffleKeys<T>(value: T, seed: number): T {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const k = entries.length === 0 ? 0 : seed % entries.length;
  const rotated = [...entries.slice(k), ...entries.slice(0, k)];
  return Object.fromEntries(seed % 2 ? rotated.reverse() : rotated) as T;
}

describe('serializeFlow properties', () => {
  it('property: parse(serialize(flow)) is the flow as JSON', () => {
    fc.assert(
      fc.property(flowArb, (flow) => {
        expect(parseFlowText(serializeFlow(flow))).toEqual(JSON.parse(JSON.stringify(flow)));
      }),
      { numRuns: 300 },
    );
  });

  it('property: serialize is idempotent through parse', () => {
    fc.assert(
      fc.property(flowArb, (flow) => {
        const text = serializeFlow(flow);
        expect(text.endsWith('}\n')).toBe(true);
        expect(serializeFlow(parseFlowText(text) as FlowInput)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the text does not depend on the key order of flows, nodes, edges, positions or configs', () => {
    fc.assert(
      fc.property(flowArb, fc.nat(), (flow, seed) => {
        const shuffled = shuffleKeys(
          {
            ...flow,
            nodes: flow.nodes.map((n) =>
              shuffleKeys(
                { ...n, position: shuffleKeys(n.position, seed), config: n.config && shuffleKeys(n.config, seed + 1) },
                seed,
              ),
            ),
            edges: flow.edges?.map((e) => shuffleKeys(e, seed)),
          },
          seed,
        );
        expect(serializeFlow(shuffled)).toBe(serializeFlow(flow));
      }),
      { numRuns: 200 },
    );
  });
});

describe('parseFlowText', () => {
  const bad: Array<[string, number, number, RegExp]> = [
    ['{\n  "a": 1,\n  "b": [1, 2,]\n}', 3, 14, /trailing comma before "\]"/],
    ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected "," or "}" after a property value/],
    ['{\n  "a": 1,\n}', 3, 1, /trailing comma before "}"/],
    ["{'a': 1}", 1, 2, /property name in double quotes/],
    ['{"a": \'x\'}', 1, 7, /double quotes/],
    ['{"a": "line\nbreak"}', 1, 12, /control character/],
    ['{"a": "unterminated', 1, 7, /unterminated string/],
    ['{"a": 01}', 1, 8, /bad number/],
    ['{"a": tru}', 1, 7, /expected a value/],
    ['{"a": 1} x', 1, 10, /after the end of the JSON value/],
    ['', 1, 1, /unexpected end of text/],
    ['{"a": "\\x"}', 1, 8, /bad escape/],
    ['[1, 2', 1, 6, /expected "," or "\]"/],
  ];
  for (const [text, line, column, message] of bad) {
    it(`reports line ${line}, column ${column} for ${JSON.stringify(text)}`, () => {
      try {
        parseFlowText(text);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(FlowSyntaxError);
        const e = err as FlowSyntaxError;
        expect([e.line, e.column]).toEqual([line, column]);
        expect(e.message).toMatch(message);
        expect(e.message).toContain(`line ${line}, column ${column}`);
      }
    });
  }

  it('accepts a leading byte-order mark', () => {
    expect(parseFlowText('\uFEFF{"a": 1}')).toEqual({ a: 1 });
  });

  it('counts lines and columns from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });

  it('property: the scanner agrees with JSON.parse on valid JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, pretty) => {
        expect(findJsonError(JSON.stringify(value, null, pretty ? 2 : undefined))).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('property: the scanner agrees with JSON.parse on JSON-like noise', () => {
    const alphabet = fc.constantFrom(
      ...'{}[],:"\\ \n0123456789-+.eEtrufalsn'.split(''),
      '"a"',
      'true',
      'null',
      '1.5',
      '\\u00e9',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        let parses = true;
        try {
          JSON.parse(text);
        } catch {
          parses = false;
        }
        expect(findJsonError(text) === null).toBe(parses);
      }),
      { numRuns: 2000 },
    );
  });
});
