/**
 * Runs as trees: subflow, map and loop nodes start child runs through the same scheduler,
 * with one abort, one concurrency budget and one node budget for the whole tree.
 */
import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared';
import { loadConfig } from '../config';
import { runFlow } from './index';
import { coreExecutors } from './test-executors';
import { transformExecutor } from './executors/transform';
import { sleep } from './retry';
import type { ExecutorLookup } from './scheduler';
import type { Executor, RunServices } from './types';
import { makeFlow, mapFlow, memoryFlows, node, upperFlow } from './composition-fixtures';
import { SpanRecord } from './run-context';

function services(flows: ReturnType<typeof memoryFlows>, env: Record<string, string> = {}): RunServices {
  return { config: loadConfig(env), flows };
}

/** Transform executor that waits `delayOf(inputs)` ms first, tracking how many run at once. */
function slowTransforms(delayOf: (inputs: Record<string, unknown>) => number): {
  executors: ExecutorLookup;
  peak: () => number;
} {
  let now = 0;
  let peak = 0;
  const slow: Executor<never> = async (ctx) => {
    now++;
    peak = Math.max(peak, now);
    try {
      await sleep(delayOf(ctx.inputs), ctx.signal);
      return await transformExecutor(ctx as never);
    } finally {
      now--;
    }
  };
  return { executors: { ...coreExecutors, transform: slow }, peak: () => peak };
}

const failing = upperFlow('picky', 'input = "bad" ? $error("悪い項目です") : input & "!"');

describe('usage of child runs', () => {
  it("counts in the parent run's usage through nesting, apart from the node's own model usage", async () => {
    // A transform that reports a model call: 3 + 2 tokens at $0.001 per item.
    const metered: Executor<never> = async (ctx) => {
      ctx.recordUsage('fake-model', { promptTokens: 3, completionTokens: 2, totalTokens: 5 }, 0.001);
      return await transformExecutor(ctx as never);
    };
    const executors = { ...coreExecutors, transform: metered };
    const each = { promptTokens: 3, completionTokens: 2, totalTokens: 5, cost: 0.001 };
    const times = (n: number) => ({
      promptTokens: 3 * n,
      completionTokens: 2 * n,
      totalTokens: 5 * n,
      cost: 0.001 * n,
    });
    // root: a subflow calling "nested", which maps "upper" over the items
    const root = makeFlow(
      'root',
      [{ name: 'items', type: 'list', required: true }],
      [{ name: 'outs', type: 'list' }],
      [node('call', 'subflow', { flow: 'nested' })],
      [
        ['inputs', 'items', 'call', 'items'],
        ['call', 'outs', 'outputs', 'outs'],
      ],
    );
    const flows = memoryFlows(upperFlow(), mapFlow('upper', { concurrency: 2 }, 'nested'));
    const res = await runFlow(root, { items: ['一', '二', '三', '四'] }, { services: services(flows), executors });
    expect(res.status).toBe('succeeded');
    expect(res.outputs.outs).toEqual(['一!', '二!', '三!', '四!']);
    expect(res.trace.usage).toEqual(times(4)); // each item once: nothing counted twice
    const call = res.trace.spans.find((s) => s.nodeId === 'call')!;
    expect(call.childUsage).toEqual(times(4));
    expect(call.tokens).toBeUndefined(); // exporters report span tokens as model usage: none here
    // a map straight over the metered child
    const flat = await runFlow(mapFlow('upper'), { items: ['五'] }, { services: services(flows), executors });
    expect(flat.trace.usage).toEqual(each);
  });

  it('counts a child run once when a retried node replays it from a durable journal', () => {
    const span = new SpanRecord('each', 'map');
    const u = { promptTokens: 3, completionTokens: 2, totalTokens: 5, cost: 0.001 };
    span.addChildUsage('child-1', u);
    span.addChildUsage('child-2', u);
    span.addChildUsage('child-1', u); // the retry's replay of child-1
    expect(span.toSpan('succeeded').childUsage).toEqual({
      promptTokens: 6,
      completionTokens: 4,
      totalTokens: 10,
      cost: 0.002,
    });
  });
});

describe('subflow', () => {
  it('runs the child once with the node inputs; events and trace carry the parent', async () => {
    const parent = makeFlow(
      'caller',
      [{ name: 'q', type: 'string', required: true }],
      [{ name: 'a', type: 'any' }],
      [node('call', 'subflow', { flow: 'upper' })],
      [
        ['inputs', 'q', 'call', 'text'],
        ['call', 'out', 'outputs', 'a'],
      ],
    );
    const events: RunEvent[] = [];
    const res = await runFlow(
      parent,
      { q: 'こんにちは' },
      { services: services(memoryFlows(upperFlow())), executors: coreExecutors, onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ a: 'こんにちは!' });
    const started = events.filter((e) => e.type === 'run_started');
    expect(started).toHaveLength(2);
    const child = started[1] as Extract<RunEvent, { type: 'run_started' }>;
    expect(child.flowId).toBe('upper');
    expect(child.parent).toEqual({ runId: res.runId, nodeId: 'call', rootRunId: res.runId, depth: 1 });
    const childDone = events.find((e) => e.type === 'run_finished' && e.runId === child.runId);
    expect(childDone?.type === 'run_finished' && childDone.trace.parent?.nodeId).toBe('call');
    expect(res.trace.spans.find((s) => s.nodeId === 'call')?.meta?.childRunId).toBe(child.runId);
  });

  it('an output the child leaves out (untaken branch) skips what hangs off it in the parent', async () => {
    const child = makeFlow(
      'maybe',
      [{ name: 'text', type: 'any', required: true }],
      [{ name: 'out', type: 'any' }],
      [node('route', 'condition', { branches: [{ name: 'yes', when: '$ = "はい"' }] })],
      [
        ['inputs', 'text', 'route', 'input'],
        ['route', 'yes', 'outputs', 'out'],
      ],
    );
    const parent = makeFlow(
      'caller',
      [{ name: 'q', type: 'string', required: true }],
      [{ name: 'a', type: 'any' }],
      [node('call', 'subflow', { flow: 'maybe' }), node('after', 'transform', { mode: 'template', template: '{{v}}' })],
      [
        ['inputs', 'q', 'call', 'text'],
        ['call', 'out', 'after', 'v'],
        ['after', 'result', 'outputs', 'a'],
      ],
    );
    const run = (q: string) =>
      runFlow(parent, { q }, { services: services(memoryFlows(child)), executors: coreExecutors });
    expect((await run('はい')).outputs).toEqual({ a: 'はい' });
    const no = await run('いいえ');
    expect(no.status).toBe('succeeded');
    expect(no.outputs).toEqual({});
    expect(no.trace.spans.find((s) => s.nodeId === 'after')?.status).toBe('skipped');
  });

  it('a failed child fails the node with the child error and run id', async () => {
    const parent = makeFlow(
      'caller',
      [{ name: 'q', type: 'string', required: true }],
      [{ name: 'a', type: 'any' }],
      [node('call', 'subflow', { flow: 'picky' })],
      [
        ['inputs', 'q', 'call', 'text'],
        ['call', 'out', 'outputs', 'a'],
      ],
    );
    const res = await runFlow(
      parent,
      { q: 'bad' },
      { services: services(memoryFlows(failing)), executors: coreExecutors },
    );
    expect(res.status).toBe('failed');
    expect(res.trace.error?.code).toBe('child_failed');
    expect(res.trace.error?.message).toMatch(/flow "picky" \(run [0-9a-f-]+\) failed at node "t": .*悪い項目です/);
  });
});

describe('map', () => {
  it('keeps input order under random per-item latencies, within its concurrency', async () => {
    const items = Array.from({ length: 40 }, (_, i) => `項目${i}`);
    const { executors, peak } = slowTransforms(() => Math.floor(Math.random() * 15));
    const events: RunEvent[] = [];
    const res = await runFlow(
      mapFlow('upper', { concurrency: 5 }),
      { items },
      { services: services(memoryFlows(upperFlow())), executors, onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs.outs).toEqual(items.map((s) => `${s}!`));
    expect(res.outputs.errors).toEqual([]);
    expect(peak()).toBeLessThanOrEqual(5);
    const iterations = events
      .filter((e): e is Extract<RunEvent, { type: 'run_started' }> => e.type === 'run_started' && !!e.parent)
      .map((e) => e.parent!.iteration)
      .sort((a, b) => a! - b!);
    expect(iterations).toEqual(items.map((_, i) => i));
    const progress = events.filter((e) => e.type === 'node_progress');
    expect(progress.at(-1)).toMatchObject({ nodeId: 'each', progress: { done: 40, failed: 0, total: 40 } });
    const meta = res.trace.spans.find((s) => s.nodeId === 'each')?.meta;
    expect(meta).toMatchObject({ items: 40, succeeded: 40, failed: 0 });
    expect((meta?.childRunIds as string[]).length).toBe(40);
  });

  it('documents from retrieval-like input feed items; an empty list gives empty outputs', async () => {
    const res = await runFlow(
      mapFlow('upper'),
      { items: [] },
      {
        services: services(memoryFlows(upperFlow())),
        executors: coreExecutors,
      },
    );
    expect(res.outputs).toEqual({ outs: [], errors: [] });
  });

  it('onItemError "null" puts null in place and lists the error', async () => {
    const res = await runFlow(
      mapFlow('picky', { onItemError: 'null' }),
      { items: ['a', 'bad', 'c'] },
      { services: services(memoryFlows(failing)), executors: coreExecutors },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs.outs).toEqual(['a!', null, 'c!']);
    const errors = res.outputs.errors as Array<{ index: number; error: { message: string; runId: string } }>;
    expect(errors).toHaveLength(1);
    expect(errors[0].index).toBe(1);
    expect(errors[0].error.message).toContain('悪い項目です');
    expect(errors[0].error.runId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('onItemError "drop" leaves failed items out of every list', async () => {
    const res = await runFlow(
      mapFlow('picky', { onItemError: 'drop' }),
      { items: ['bad', 'b', 'bad', 'd'] },
      { services: services(memoryFlows(failing)), executors: coreExecutors },
    );
    expect(res.outputs.outs).toEqual(['b!', 'd!']);
    expect((res.outputs.errors as Array<{ index: number }>).map((e) => e.index)).toEqual([0, 2]);
  });

  it('onItemError "fail" fails the node at the first failure and starts no more items', async () => {
    const events: RunEvent[] = [];
    const res = await runFlow(
      mapFlow('picky', { concurrency: 1 }),
      { items: ['a', 'bad', 'c', 'd', 'e'] },
      { services: services(memoryFlows(failing)), executors: coreExecutors, onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('failed');
    expect(res.trace.error).toMatchObject({ code: 'child_failed', nodeId: 'each' });
    expect(res.trace.error?.message).toContain('item 1 of flow "picky"');
    expect(events.filter((e) => e.type === 'run_started' && e.parent)).toHaveLength(2);
  });

  it('onItemError "fail" cancels the items in flight', async () => {
    const { executors } = slowTransforms((inputs) => (inputs.input === 'bad' ? 5 : 2_000));
    const events: RunEvent[] = [];
    const t0 = Date.now();
    const res = await runFlow(
      mapFlow('picky', { concurrency: 4 }),
      { items: ['a', 'b', 'bad', 'd', 'e', 'f'] },
      { services: services(memoryFlows(failing)), executors, onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('failed');
    expect(Date.now() - t0).toBeLessThan(1_500);
    const childEnds = events.filter((e) => e.type === 'run_finished' && e.trace.parent);
    const statuses = childEnds.map((e) => (e.type === 'run_finished' ? e.trace.status : '')).sort();
    expect(statuses).toEqual(['cancelled', 'cancelled', 'cancelled', 'failed']);
  });

  it('a string where items must be a list fails the node with a path', async () => {
    const res = await runFlow(
      mapFlow('upper'),
      { items: ['x'] },
      {
        services: services(memoryFlows(upperFlow())),
        executors: coreExecutors,
        only: { nodeId: 'each', inputs: { items: 'not a list' } },
      },
    );
    expect(res.trace.error).toMatchObject({ code: 'invalid_input', path: 'inputs.items' });
  });
});

describe('the run tree', () => {
  it('cancelling the root cancels every child run', async () => {
    const { executors } = slowTransforms(() => 5_000);
    const events: RunEvent[] = [];
    const ctrl = new AbortController();
    const pending = runFlow(
      mapFlow('upper', { concurrency: 3 }),
      { items: ['a', 'b', 'c', 'd'] },
      { services: services(memoryFlows(upperFlow())), executors, onEvent: (e) => events.push(e), signal: ctrl.signal },
    );
    while (events.filter((e) => e.type === 'node_started' && e.nodeId === 't').length < 3) await sleep(5);
    ctrl.abort();
    const res = await pending;
    expect(res.status).toBe('cancelled');
    const children = events.filter((e) => e.type === 'run_started' && e.parent).map((e) => e.runId);
    expect(children).toHaveLength(3);
    for (const id of children) {
      const end = events.find((e) => e.type === 'run_finished' && e.runId === id);
      expect(end?.type === 'run_finished' && end.trace.status).toBe('cancelled');
    }
  });

  it('one concurrency budget for the tree, without deadlock when a map waits on its children', async () => {
    // map (outer) → flow with a map (inner) → upper: three levels, one slot in the whole tree.
    const inner = makeFlow(
      'inner',
      [{ name: 'list', type: 'list', required: true }],
      [{ name: 'out', type: 'list' }],
      [node('each', 'map', { flow: 'upper', concurrency: 3 })],
      [
        ['inputs', 'list', 'each', 'items'],
        ['each', 'out', 'outputs', 'out'],
      ],
    );
    const { executors, peak } = slowTransforms(() => 1);
    const res = await runFlow(
      mapFlow('inner', { concurrency: 3 }),
      { items: [['a', 'b'], ['c'], ['d', 'e', 'f']] },
      { services: services(memoryFlows(inner, upperFlow())), executors, maxConcurrency: 1 },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs.outs).toEqual([['a!', 'b!'], ['c!'], ['d!', 'e!', 'f!']]);
    expect(peak()).toBe(1);
  });

  it('the node budget stops a runaway map with a clear error', async () => {
    const res = await runFlow(
      mapFlow('upper', { concurrency: 2, onItemError: 'null' }),
      { items: Array.from({ length: 50 }, (_, i) => i) },
      { services: services(memoryFlows(upperFlow()), { BRAID_MAX_TREE_NODES: '40' }), executors: coreExecutors },
    );
    expect(res.status).toBe('failed');
    expect(res.trace.error?.code).toBe('node_budget_exceeded');
    expect(res.trace.error?.message).toMatch(/budget of 40 node executions \(BRAID_MAX_TREE_NODES\)/);
  });

  it('an unknown called flow fails the node at config.flow', async () => {
    const res = await runFlow(
      mapFlow('missing'),
      { items: [1] },
      {
        services: services(memoryFlows()),
        executors: coreExecutors,
      },
    );
    expect(res.trace.error).toMatchObject({ code: 'unknown_flow', nodeId: 'each', path: 'config.flow' });
  });
});

describe('loop', () => {
  const step = makeFlow(
    'step',
    [
      { name: 'n', type: 'number', required: true },
      { name: 'label', type: 'string', default: '回' },
    ],
    [
      { name: 'n', type: 'number' },
      { name: 'text', type: 'string' },
    ],
    [
      node('inc', 'transform', {
        mode: 'jsonata',
        expression: '{"n": n + 1, "text": $string(n + 1) & label}',
        inputs: [
          { name: 'n', type: 'number', required: true },
          { name: 'label', type: 'string' },
        ],
      }),
      node('pickN', 'transform', { mode: 'jsonata', expression: 'input.n' }),
      node('pickT', 'transform', { mode: 'jsonata', expression: 'input.text' }),
    ],
    [
      ['inputs', 'n', 'inc', 'n'],
      ['inputs', 'label', 'inc', 'label'],
      ['inc', 'result', 'pickN', 'input'],
      ['inc', 'result', 'pickT', 'input'],
      ['pickN', 'result', 'outputs', 'n'],
      ['pickT', 'result', 'outputs', 'text'],
    ],
  );
  const loopFlow = (config: Record<string, unknown>) =>
    makeFlow(
      'looper',
      [{ name: 'start', type: 'number', required: true }],
      [
        { name: 'n', type: 'number' },
        { name: 'text', type: 'string' },
        { name: 'iterations', type: 'number' },
      ],
      [node('again', 'loop', { flow: 'step', ...config })],
      [
        ['inputs', 'start', 'again', 'n'],
        ['again', 'n', 'outputs', 'n'],
        ['again', 'text', 'outputs', 'text'],
        ['again', 'iterations', 'outputs', 'iterations'],
      ],
    );

  it('feeds outputs back by name until the condition holds', async () => {
    const events: RunEvent[] = [];
    const res = await runFlow(
      loopFlow({ until: 'n >= 3', maxIterations: 10 }),
      { start: 0 },
      { services: services(memoryFlows(step)), executors: coreExecutors, onEvent: (e) => events.push(e) },
    );
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ n: 3, text: '3回', iterations: 3 });
    const iterations = events.flatMap((e) => (e.type === 'run_started' && e.parent ? [e.parent.iteration] : []));
    expect(iterations).toEqual([0, 1, 2]);
    expect(
      events.filter((e) => e.type === 'node_progress').map((e) => e.type === 'node_progress' && e.progress),
    ).toEqual([
      { iteration: 1, maxIterations: 10 },
      { iteration: 2, maxIterations: 10 },
      { iteration: 3, maxIterations: 10 },
    ]);
  });

  it('onMax "last" returns the last outputs; "fail" fails the node', async () => {
    const last = await runFlow(
      loopFlow({ until: 'n > 100', maxIterations: 4 }),
      { start: 0 },
      {
        services: services(memoryFlows(step)),
        executors: coreExecutors,
      },
    );
    expect(last.outputs).toEqual({ n: 4, text: '4回', iterations: 4 });
    const fail = await runFlow(
      loopFlow({ until: 'n > 100', maxIterations: 4, onMax: 'fail' }),
      { start: 0 },
      {
        services: services(memoryFlows(step)),
        executors: coreExecutors,
      },
    );
    expect(fail.status).toBe('failed');
    expect(fail.trace.error).toMatchObject({ code: 'loop_max_iterations', path: 'config.until' });
  });
});
