import { describe, it, expect } from 'vitest';
import {
  validateFlow,
  resolveFlowPorts,
  assertValidFlow,
  FlowValidationError,
  formatProblem,
  formatPath,
} from './validate';
import type { FlowProblem } from '../api/errors';
import { promptFlow } from '../../test/support/flows';

type Raw = Record<string, unknown> & { nodes: Array<Record<string, unknown>>; edges: Array<Record<string, unknown>> };

/** The flow of DESIGN.md: inputs → prompt → outputs. A fresh copy each call. */
const supportFlow = (): Raw => promptFlow({ temperature: 0 }) as unknown as Raw;

const at = { x: 0, y: 0 };
const transform = (id: string, template: string): Record<string, unknown> => ({
  id,
  type: 'transform',
  position: at,
  config: { mode: 'template', template },
});
const edge = (source: string, sourcePort: string, target: string, targetPort: string): Record<string, unknown> => ({
  source,
  sourcePort,
  target,
  targetPort,
});
const bare = (nodes: Array<Record<string, unknown>>, edges: Array<Record<string, unknown>> = []): Raw => ({
  schemaVersion: 1,
  id: 'f',
  name: 'F',
  nodes,
  edges,
});

const errors = (problems: FlowProblem[]): FlowProblem[] => problems.filter((p) => p.severity === 'error');
const byCode = (problems: FlowProblem[], code: string): FlowProblem[] => problems.filter((p) => p.code === code);
const summary = (problems: FlowProblem[]): string[] => problems.map((p) => `${p.code} ${p.path}`);

describe('validateFlow', () => {
  it('accepts the flow of DESIGN.md with no problems and applies schema defaults', () => {
    const res = validateFlow(supportFlow());
    expect(res.problems).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.flow?.nodes[1].id).toBe('answer');
    expect(res.flow?.inputs[0].type).toBe('string');
  });

  it('accepts a flow without input and output nodes', () => {
    const res = validateFlow(
      bare([transform('a', 'hello'), transform('b', '{{x}}!')], [edge('a', 'result', 'b', 'x')]),
    );
    expect(res.problems).toEqual([]);
    expect(res.ok).toBe(true);
  });

  it('reports the file shape with zod paths (schema)', () => {
    const raw = supportFlow();
    delete raw.name;
    raw.extra = true;
    delete raw.nodes[1].position;
    raw.nodes[2].selected = true;
    raw.edges[0].sourcePort = 3;
    const res = validateFlow(raw);
    expect(res.ok).toBe(false);
    expect(res.flow).toBeUndefined();
    expect(summary(byCode(res.problems, 'schema')).sort()).toEqual(
      [
        'schema name',
        'schema extra',
        'schema nodes[1].position',
        'schema nodes[2].selected',
        'schema edges[0].sourcePort',
      ].sort(),
    );
    expect(res.problems.find((p) => p.path === 'nodes[2].selected')?.nodeId).toBe('outputs');
    expect(res.problems.find((p) => p.path === 'edges[0].sourcePort')?.edgeIndex).toBe(0);
  });

  it('keeps checking the graph when the file shape is broken', () => {
    const raw = supportFlow();
    delete raw.nodes[1].position; // a shape error…
    raw.edges[1].sourcePort = 'txt'; // …does not hide a graph error
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['schema nodes[1].position', 'dangling_edge edges[1].sourcePort']);
  });

  it('refuses a value that is not an object', () => {
    for (const raw of [null, 42, 'flow', [1, 2]]) {
      const res = validateFlow(raw);
      expect(res.ok).toBe(false);
      expect(res.problems).toHaveLength(1);
      expect(res.problems[0]).toMatchObject({ code: 'schema', path: '' });
    }
  });

  it('reports a missing, invalid or future schemaVersion (schema_version)', () => {
    const missing = supportFlow();
    delete missing.schemaVersion;
    missing.id = 'Support';
    const res = validateFlow(missing);
    expect(summary(res.problems)).toEqual(['schema_version schemaVersion', 'unsafe_id id']);
    expect(res.problems[0].message).toContain('"schemaVersion": 1');

    const future = validateFlow({ ...supportFlow(), schemaVersion: 99 });
    expect(summary(future.problems)).toEqual(['schema_version schemaVersion']);
    expect(future.problems[0].message).toMatch(/newer than this Braid/);

    const text = validateFlow({ ...supportFlow(), schemaVersion: '1' });
    expect(summary(text.problems)).toEqual(['schema_version schemaVersion']);
  });

  it('reports duplicate node ids once per extra use (duplicate_id)', () => {
    const raw = supportFlow();
    raw.nodes.push({ id: 'answer', type: 'transform', position: at, config: { mode: 'template', template: 'x' } });
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['duplicate_id nodes[3].id']);
    expect(res.problems[0]).toMatchObject({ nodeId: 'answer', message: expect.stringContaining('nodes[1]') });
  });

  it('reports unsafe ids of nodes and of the flow, and still resolves edges to them (unsafe_id)', () => {
    const raw = supportFlow();
    raw.id = 'Support Answer';
    raw.nodes[1].id = 'Answer!';
    raw.edges[0].target = 'Answer!';
    raw.edges[1].source = 'Answer!';
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['unsafe_id id', 'unsafe_id nodes[1].id']);
    expect(res.problems[1]).toMatchObject({ nodeId: 'Answer!', message: expect.stringContaining('"Answer!"') });
  });

  it('reports an unknown node type with a suggestion, and no port noise on its edges (unknown_type)', () => {
    const raw = supportFlow();
    raw.nodes[1].type = 'promt';
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['unknown_type nodes[1].type']);
    expect(res.problems[0].message).toContain('did you mean "prompt"');
    expect(res.problems[0].nodeId).toBe('answer');
  });

  it('reports config errors with the zod path inside the node config (invalid_config)', () => {
    const raw = supportFlow();
    const config = raw.nodes[1].config as Record<string, unknown>;
    config.temperature = 5;
    config.colour = 'red';
    (config.messages as Array<Record<string, unknown>>)[0].role = 'bot';
    const res = validateFlow(raw);
    expect(summary(errors(res.problems)).sort()).toEqual(
      [
        'invalid_config nodes[1].config.temperature',
        'invalid_config nodes[1].config.colour',
        'invalid_config nodes[1].config.messages[0].role',
      ].sort(),
    );
    for (const p of res.problems) expect(p.nodeId).toBe('answer');
    // The edges into and out of the broken node are not reported: one mistake, not a flood.
    expect(byCode(res.problems, 'dangling_edge')).toEqual([]);
  });

  it('reports an invalid regular expression in a validator rule', () => {
    const res = validateFlow(
      bare([
        {
          id: 'v',
          type: 'validator',
          position: at,
          config: { rules: [{ kind: 'regex', pattern: '(' }] },
          values: { value: 'x' },
        },
      ]),
    );
    expect(summary(errors(res.problems))).toEqual(['invalid_config nodes[0].config.rules[0].pattern']);
  });

  it('reports bad mustache in prompts, transforms and http tools (template_syntax)', () => {
    const raw = supportFlow();
    const messages = (raw.nodes[1].config as { messages: Array<Record<string, unknown>> }).messages;
    messages[1].content = '{{#question}}unclosed';
    messages.push({ role: 'assistant', content: '{{> partial}}' });
    raw.nodes.push(transform('t', 'Hi {{first-name}}'));
    raw.nodes.push({
      id: 'h',
      type: 'tool',
      position: at,
      config: { kind: 'http', url: 'https://example.com/{{q', headers: { 'X-Key': '{{/x}}' } },
    });
    const res = validateFlow(raw);
    const syntax = byCode(res.problems, 'template_syntax');
    expect(summary(syntax)).toEqual([
      'template_syntax nodes[1].config.messages[1].content',
      'template_syntax nodes[1].config.messages[2].content',
      'template_syntax nodes[3].config.template',
      'template_syntax nodes[4].config.url',
      'template_syntax nodes[4].config.headers["X-Key"]',
    ]);
    expect(syntax[1].message).toMatch(/partials/);
    expect(syntax[2].message).toMatch(/first-name/);
    expect(syntax.map((p) => p.nodeId)).toEqual(['answer', 'answer', 't', 'h', 'h']);
  });

  it('still checks templates when another config field is invalid', () => {
    const res = validateFlow(
      bare([{ id: 't', type: 'transform', position: at, config: { mode: 'template', template: '{{#a}}', extra: 1 } }]),
    );
    expect(summary(res.problems).sort()).toEqual([
      'invalid_config nodes[0].config.extra',
      'template_syntax nodes[0].config.template',
    ]);
  });

  it('reports two ports of one node with the same name (duplicate_port)', () => {
    const route = {
      id: 'route',
      type: 'condition',
      position: at,
      config: {
        branches: [
          { name: 'a', when: '$ = 1' },
          { name: 'a', when: '$ = 2' },
        ],
      },
      values: { input: 1 },
    };
    const res = validateFlow(bare([route]));
    expect(summary(res.problems)).toEqual(['duplicate_port nodes[0].config']);
    expect(res.problems[0]).toMatchObject({ nodeId: 'route', message: expect.stringContaining('"a"') });
  });

  it('reports edges to missing nodes or ports (dangling_edge)', () => {
    const raw = supportFlow();
    raw.edges[0].sourcePort = 'questoin';
    raw.edges[1].targetPort = 'reply';
    raw.edges.push(edge('ghost', 'x', 'outputs', 'answer'), edge('answer', 'text', 'outptus', 'answer'));
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual([
      'dangling_edge edges[0].sourcePort',
      'dangling_edge edges[1].targetPort',
      'dangling_edge edges[2].source',
      'dangling_edge edges[3].target',
      // no missing_input for answer.question: the misspelt edge still enters it (one mistake, one problem)
    ]);
    expect(res.problems[0]).toMatchObject({
      edgeIndex: 0,
      nodeId: 'inputs',
      message: expect.stringContaining('"question"'),
    });
    expect(res.problems[3].message).toContain('did you mean "outputs"');
  });

  it('reports edges between incompatible port types (incompatible_ports)', () => {
    const res = validateFlow(
      bare(
        [
          { id: 'kb', type: 'retrieval', position: at, config: { knowledgeBase: 'docs' }, values: { query: 'q' } },
          { id: 'len', type: 'tool', position: at, config: { kind: 'code', inputs: [{ name: 'n', type: 'number' }] } },
        ],
        [edge('kb', 'documents', 'len', 'n')],
      ),
    );
    expect(summary(res.problems)).toEqual(['incompatible_ports edges[0]']);
    expect(res.problems[0]).toMatchObject({
      edgeIndex: 0,
      nodeId: 'len',
      message: expect.stringMatching(/documents.*number/),
    });
  });

  it('reports required inputs that are neither connected nor given a value (missing_input)', () => {
    const raw = supportFlow();
    raw.edges.splice(0, 1);
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['missing_input nodes[1].values.question']);
    expect(res.problems[0].nodeId).toBe('answer');

    raw.nodes[1].values = { question: 'What is Braid?' };
    expect(errors(validateFlow(raw).problems)).toEqual([]);
  });

  it('names each cycle once, starting at its first node (cycle)', () => {
    const res = validateFlow(
      bare(
        [transform('a', '{{c}}{{d}}'), transform('b', '{{a}}'), transform('c', '{{b}}'), transform('d', '{{b}}')],
        [
          edge('a', 'result', 'b', 'a'),
          edge('b', 'result', 'c', 'b'),
          edge('c', 'result', 'a', 'c'),
          edge('b', 'result', 'd', 'b'),
          edge('d', 'result', 'a', 'd'),
        ],
      ),
    );
    const cycles = byCode(res.problems, 'cycle');
    expect(cycles.map((p) => p.message.split(';')[0]).sort()).toEqual(['cycle: a → b → c → a', 'cycle: a → b → d → a']);
    expect(cycles.every((p) => p.nodeId === 'a')).toBe(true);
    // The path names the edge that closes the cycle (c → a or d → a).
    expect(cycles.map((p) => p.path).sort()).toEqual(['edges[2]', 'edges[4]']);
    expect(res.ok).toBe(false);
  });

  it('reports a self-loop as a cycle', () => {
    const res = validateFlow(bare([transform('a', '{{x}}')], [edge('a', 'result', 'a', 'x')]));
    expect(summary(res.problems)).toEqual(['cycle edges[0]']);
    expect(res.problems[0].message).toContain('a → a');
  });

  it('reports inputs or outputs declared twice (duplicate_io)', () => {
    const raw = supportFlow();
    (raw.inputs as unknown[]).push({ name: 'question', type: 'number' });
    (raw.outputs as unknown[]).push({ name: 'answer' });
    const res = validateFlow(raw);
    expect(summary(errors(res.problems))).toEqual(['duplicate_io inputs[1].name', 'duplicate_io outputs[1].name']);
  });

  it('allows several edges into one input port (merge after a condition)', () => {
    const raw: Raw = {
      ...bare([
        { id: 'in', type: 'input', position: at },
        {
          id: 'route',
          type: 'condition',
          position: at,
          config: { branches: [{ name: 'short', when: '$length($) < 10' }] },
        },
        transform('a', 'short: {{v}}'),
        transform('b', 'long: {{v}}'),
        { id: 'out', type: 'output', position: at },
      ]),
      inputs: [{ name: 'q' }],
      outputs: [{ name: 'answer' }],
    };
    raw.edges = [
      edge('in', 'q', 'route', 'input'),
      edge('route', 'short', 'a', 'v'),
      edge('route', 'otherwise', 'b', 'v'),
      edge('a', 'result', 'out', 'answer'),
      edge('b', 'result', 'out', 'answer'),
    ];
    const res = validateFlow(raw);
    expect(res.problems).toEqual([]);
    expect(res.ok).toBe(true);
  });

  it('warns without failing: unreachable nodes, unused inputs, unconnected outputs, stray values, duplicate edges', () => {
    const raw = supportFlow();
    (raw.inputs as unknown[]).push({ name: 'locale' });
    (raw.outputs as unknown[]).push({ name: 'sources', type: 'documents' });
    raw.nodes.push(transform('stray', 'constant'));
    raw.nodes[1].values = { tone: 'formal' };
    raw.edges.push({ ...raw.edges[1] });
    const res = validateFlow(raw);
    expect(res.ok).toBe(true);
    expect(res.problems.every((p) => p.severity === 'warning')).toBe(true);
    expect(summary(res.problems).sort()).toEqual(
      [
        'unknown_value nodes[1].values.tone',
        'duplicate_edge edges[2]',
        'unreachable nodes[3]',
        'unconnected_output outputs[1]',
        'unused_input inputs[1]',
      ].sort(),
    );
  });

  it('never throws, whatever it is given', () => {
    const weird: unknown[] = [
      undefined,
      { schemaVersion: 1 },
      { schemaVersion: 1, nodes: 'x', edges: {} },
      {
        schemaVersion: 1,
        id: 'a',
        name: 'a',
        nodes: [null, 1, { id: 3 }, { id: 'x', type: 7 }, { id: 'y', type: 'prompt', config: 'x' }],
        edges: [null, { source: 1 }],
      },
      JSON.parse(
        '{"schemaVersion":1,"id":"a","name":"a","nodes":[{"id":"n","type":"transform","position":{"x":0,"y":0},"config":{"__proto__":{"mode":"template"}}}],"edges":[]}',
      ),
    ];
    for (const raw of weird) {
      const res = validateFlow(raw);
      expect(res.ok).toBe(false);
      expect(res.problems.length).toBeGreaterThan(0);
    }
  });
});

describe('helpers', () => {
  it('resolveFlowPorts gives every node its ports, the io nodes from the declared inputs and outputs', () => {
    const flow = assertValidFlow(supportFlow());
    const ports = resolveFlowPorts(flow);
    expect(ports.get('inputs')?.outputs.map((p) => p.name)).toEqual(['question']);
    expect(ports.get('answer')?.inputs).toEqual([{ name: 'question', type: 'string', required: true }]);
    expect(ports.get('answer')?.outputs.map((p) => p.name)).toEqual(['text']);
    expect(ports.get('outputs')?.inputs.map((p) => p.name)).toEqual(['answer']);
  });

  it('assertValidFlow throws a FlowValidationError carrying every problem', () => {
    const raw = supportFlow();
    raw.nodes[1].type = 'nope';
    raw.edges.push(edge('x', 'y', 'z', 'w'));
    try {
      assertValidFlow(raw);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FlowValidationError);
      const problems = (err as FlowValidationError).problems;
      expect(problems.map((p) => p.code)).toEqual(['unknown_type', 'dangling_edge', 'dangling_edge']);
      expect((err as Error).message).toMatch(/3 problem/);
    }
  });

  it('formats paths and problems', () => {
    expect(formatPath(['nodes', 2, 'config', 'messages', 0, 'content'])).toBe('nodes[2].config.messages[0].content');
    expect(formatPath(['nodes', 0, 'config', 'headers', 'X-Key'])).toBe('nodes[0].config.headers["X-Key"]');
    expect(
      formatProblem({ code: 'cycle', message: 'cycle: a → a', path: 'edges[0]', nodeId: 'a', severity: 'error' }),
    ).toBe('edges[0] (node a): cycle: a → a [cycle]');
  });
});
