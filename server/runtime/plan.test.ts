import { describe, it, expect } from 'vitest';
import type { Flow } from '../../shared';
import { compilePlan, Ledger } from './plan';

function flow(
  nodes: Array<{ id: string; type: string; config?: Record<string, unknown>; values?: Record<string, unknown> }>,
  edges: Array<[string, string, string, string]>,
): Flow {
  return {
    schemaVersion: 1,
    id: 'f',
    name: 'f',
    inputs: [{ name: 'q', type: 'string', required: true }],
    outputs: [{ name: 'a', type: 'any' }],
    nodes: nodes.map((n) => ({ position: { x: 0, y: 0 }, ...n })),
    edges: edges.map(([source, sourcePort, target, targetPort]) => ({ source, sourcePort, target, targetPort })),
  };
}
const tpl = (id: string, template: string, values?: Record<string, unknown>) => ({
  id,
  type: 'transform',
  config: { mode: 'template', template },
  ...(values ? { values } : {}),
});
const opt = (id: string) => ({
  id,
  type: 'transform',
  config: {
    mode: 'jsonata',
    expression: 'x',
    inputs: [
      { name: 'x', type: 'any', required: false },
      { name: 'y', type: 'any', required: false },
    ],
  },
});
const cond = (id: string) => ({
  id,
  type: 'condition',
  config: { branches: [{ name: 'yes', when: 'true' }], otherwise: 'no' },
});

/** Drive a ledger by hand: complete nodes in the order they become ready. */
function ids(l: Ledger, list: number[]): string[] {
  return list.map((i) => l.plan.nodes[i].node.id);
}

describe('plan', () => {
  it('is compiled once per flow object', () => {
    const f = flow([tpl('a', 'x')], []);
    expect(compilePlan(f)).toBe(compilePlan(f));
  });

  it('reports a cycle by node ids', () => {
    const p = compilePlan(
      flow(
        [tpl('a', '{{x}}'), tpl('b', '{{x}}'), tpl('c', '{{x}}')],
        [
          ['a', 'result', 'b', 'x'],
          ['b', 'result', 'c', 'x'],
          ['c', 'result', 'b', 'x'],
        ],
      ),
    );
    expect(p.cycle).toBeDefined();
    expect([...p.cycle!].sort()).toEqual(['b', 'c']);
  });

  it('records why a node cannot run', () => {
    const p = compilePlan(
      flow(
        [
          { id: 'x', type: 'nope' },
          { id: 'y', type: 'transform', config: { mode: 'template', template: 1 } },
        ],
        [],
      ),
    );
    expect(p.nodes[0].problem?.code).toBe('unknown_node_type');
    expect(p.nodes[1].problem).toMatchObject({ code: 'invalid_config', path: 'config.template' });
  });
});

describe('ledger', () => {
  it('skips untaken branches and what hangs only off them; merges on the first live edge', () => {
    const f = flow(
      [{ id: 'in', type: 'input' }, cond('c'), tpl('y', '{{v}}'), tpl('n', '{{v}}'), opt('m'), tpl('after_n', '{{v}}')],
      [
        ['in', 'q', 'c', 'input'],
        ['c', 'yes', 'y', 'v'],
        ['c', 'no', 'n', 'v'],
        ['n', 'result', 'm', 'x'],
        ['y', 'result', 'm', 'x'],
        ['n', 'result', 'after_n', 'v'],
      ],
    );
    const l = new Ledger(compilePlan(f));
    expect(ids(l, l.takeReady())).toEqual(['in']);
    l.start(0);
    l.complete(0, { q: 'hi' });
    expect(ids(l, l.takeReady())).toEqual(['c']);
    l.start(1);
    l.complete(1, { yes: 'hi' }, ['no']);
    expect(ids(l, l.takeSkipped())).toEqual(['n', 'after_n']);
    expect(l.skipReason(3)).toContain('branch c.no not taken');
    expect(l.skipReason(5)).toContain('n was skipped');
    expect(ids(l, l.takeReady())).toEqual(['y']);
    l.start(2);
    l.complete(2, { result: 'Y' });
    expect(ids(l, l.takeReady())).toEqual(['m']);
    expect(l.inputsFor(4)).toEqual({ x: 'Y' });
    l.start(4);
    l.complete(4, { result: 1 });
    expect(l.settled()).toBe(true);
  });

  it('a node whose every input is skipped is skipped, even with optional inputs', () => {
    const f = flow(
      [{ id: 'in', type: 'input' }, cond('c'), opt('m')],
      [
        ['in', 'q', 'c', 'input'],
        ['c', 'no', 'm', 'x'],
        ['c', 'no', 'm', 'y'],
      ],
    );
    const l = new Ledger(compilePlan(f));
    l.takeReady();
    l.start(0);
    l.complete(0, { q: 1 });
    l.takeReady();
    l.start(1);
    l.complete(1, { yes: 1 }, ['no']);
    expect(ids(l, l.takeSkipped())).toEqual(['m']);
    expect(l.skipReason(2)).toContain('every input was skipped');
  });

  it('unconnected ports take node.values', () => {
    const f = flow([tpl('a', '{{x}} {{y}}', { x: 'lit', y: 'ignored' }), tpl('b', 'b')], [['b', 'result', 'a', 'y']]);
    const l = new Ledger(compilePlan(f));
    expect(ids(l, l.takeReady())).toEqual(['b']);
    l.start(1);
    l.complete(1, { result: 'B' });
    expect(l.inputsFor(0)).toEqual({ x: 'lit', y: 'B' });
  });

  it('rerun resets the node and everything downstream, reporting running ones', () => {
    const f = flow(
      [tpl('a', 'a'), tpl('b', '{{x}}'), tpl('c', '{{x}}'), tpl('d', '{{x}}')],
      [
        ['a', 'result', 'b', 'x'],
        ['b', 'result', 'c', 'x'],
        ['a', 'result', 'd', 'x'],
      ],
    );
    const l = new Ledger(compilePlan(f));
    l.takeReady();
    l.start(0);
    l.complete(0, { result: 1 });
    expect(ids(l, l.takeReady())).toEqual(['b', 'd']);
    l.start(1);
    l.start(3);
    l.complete(1, { result: 2 });
    expect(ids(l, l.takeReady())).toEqual(['c']);
    const { running, reset } = l.rerun(0);
    expect(ids(l, running)).toEqual(['d']);
    expect(ids(l, reset).sort()).toEqual(['b', 'c', 'd']);
    expect(l.state(0)).toBe('ready');
    expect(l.state(2)).toBe('pending');
    expect(l.outputsOf(1)).toBeUndefined();
    expect(ids(l, l.takeReady())).toEqual(['a']);
    l.start(0);
    l.complete(0, { result: 10 });
    expect(ids(l, l.takeReady())).toEqual(['b', 'd']);
    expect(l.inputsFor(1)).toEqual({ x: 10 });
    expect(l.settled()).toBe(false);
  });
});
