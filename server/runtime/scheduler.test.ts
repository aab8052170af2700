import { describe, it, expect } from 'vitest';
import type { Flow, FlowIO, FlowNode, RunEvent } from '../../shared';
import { loadConfig } from '../config';
import { runFlow as runFlowReal } from './index';
import { coreExecutors as realExecutors } from './test-executors';
import type { ExecutorLookup } from './scheduler';
import { NodeError, RunInputError, type Executor, type NodeContext, type RunServices } from './types';

const services: RunServices = { config: loadConfig({}) };
const runFlow = (flow: Flow, inputs: Record<string, unknown>, opts: Parameters<typeof runFlowReal>[2]) =>
  runFlowReal(flow, inputs, { executors: realExecutors, ...opts });

type NodeSpec = Omit<FlowNode, 'position'>;
function flowOf(
  nodes: NodeSpec[],
  edges: Array<[string, string, string, string]>,
  io: { inputs?: FlowIO[]; outputs?: FlowIO[] } = {},
): Flow {
  return {
    schemaVersion: 1,
    id: 'test-flow',
    name: 'Test flow',
    inputs: io.inputs ?? [{ name: 'question', type: 'string', required: true }],
    outputs: io.outputs ?? [{ name: 'answer', type: 'any' }],
    nodes: nodes.map((n) => ({ position: { x: 0, y: 0 }, ...n })),
    edges: edges.map(([source, sourcePort, target, targetPort]) => ({ source, sourcePort, target, targetPort })),
  };
}

const tpl = (id: string, template: string, extra: Partial<NodeSpec> = {}): NodeSpec => ({
  id,
  type: 'transform',
  config: { mode: 'template', template },
  ...extra,
});

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

/** Executors: the real input/output/condition/validator, and a custom one for transform. */
function withTransform(fn: Executor<unknown>): ExecutorLookup {
  return { ...realExecutors, transform: fn as Executor<never> };
}

describe('scheduler', () => {
  it('runs a linear flow and builds the trace', async () => {
    const flow = flowOf(
      [{ id: 'in', type: 'input' }, tpl('t', 'Q: {{q}}'), { id: 'out', type: 'output' }],
      [
        ['in', 'question', 't', 'q'],
        ['t', 'result', 'out', 'answer'],
      ],
    );
    const events: RunEvent[] = [];
    const res = await runFlow(flow, { question: 'why?' }, { services, onEvent: (e) => events.push(e) });
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ answer: 'Q: why?' });
    expect(res.trace.spans.map((s) => [s.nodeId, s.status])).toEqual([
      ['in', 'succeeded'],
      ['t', 'succeeded'],
      ['out', 'succeeded'],
    ]);
    expect(res.trace.usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 });
    expect(events[0].type).toBe('run_started');
    expect(events.at(-1)!.type).toBe('run_finished');
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'node_started')).toHaveLength(3);
    expect(types.filter((t) => t === 'node_finished')).toHaveLength(3);
    expect(res.runId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('runs independent branches concurrently (two 200 ms branches well under 400 ms)', async () => {
    const flow = flowOf(
      [{ id: 'in', type: 'input' }, tpl('a', '{{q}}'), tpl('b', '{{q}}'), { id: 'out', type: 'output' }],
      [
        ['in', 'question', 'a', 'q'],
        ['in', 'question', 'b', 'q'],
        ['a', 'result', 'out', 'a'],
        ['b', 'result', 'out', 'b'],
      ],
      {
        outputs: [
          { name: 'a', type: 'string' },
          { name: 'b', type: 'string' },
        ],
      },
    );
    const slow: Executor<unknown> = async (ctx) => {
      await sleep(200, ctx.signal);
      return { outputs: { result: `${ctx.node.id}:${String(ctx.inputs.q)}` } };
    };
    const t0 = performance.now();
    const res = await runFlow(flow, { question: 'x' }, { services, executors: withTransform(slow) });
    const ms = performance.now() - t0;
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ a: 'a:x', b: 'b:x' });
    expect(ms).toBeLessThan(390);
  });

  it('honours maxConcurrency', async () => {
    const flow = flowOf([tpl('a', 'a'), tpl('b', 'b'), tpl('c', 'c')], []);
    let inFlight = 0;
    let peak = 0;
    const exec: Executor<unknown> = async () => {
      peak = Math.max(peak, ++inFlight);
      await sleep(30);
      inFlight--;
      return { outputs: { result: 'x' } };
    };
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(exec), maxConcurrency: 1 });
    expect(res.status).toBe('succeeded');
    expect(peak).toBe(1);
  });

  it('fails a node that exceeds its timeout, even when the executor ignores the signal', async () => {
    const flow = flowOf([tpl('t', 'x', { timeoutMs: 60 })], []);
    let sawAbort = false;
    const hang: Executor<unknown> = (ctx) =>
      new Promise(() => {
        ctx.signal.addEventListener('abort', () => (sawAbort = true));
      });
    const t0 = performance.now();
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(hang) });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.status).toBe('failed');
    expect(res.trace.error).toMatchObject({ code: 'timeout', nodeId: 't' });
    expect(res.trace.spans[0]).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'timeout' } });
    expect(sawAbort).toBe(true);
  });

  it('retries a retryable error, honouring retryAfterMs, then succeeds', async () => {
    const flow = flowOf([tpl('t', 'x', { retry: { max: 3, baseMs: 1 } })], []);
    let calls = 0;
    const flaky: Executor<unknown> = async () => {
      calls++;
      if (calls === 1)
        throw new NodeError('rate_limited', '429 Too Many Requests', { retryable: true, retryAfterMs: 150 });
      return { outputs: { result: 'ok' } };
    };
    const events: RunEvent[] = [];
    const t0 = performance.now();
    const res = await runFlow(
      flow,
      { question: 'q' },
      { services, executors: withTransform(flaky), onEvent: (e) => events.push(e) },
    );
    const ms = performance.now() - t0;
    expect(res.status).toBe('succeeded');
    expect(calls).toBe(2);
    expect(ms).toBeGreaterThanOrEqual(145);
    const retry = events.find((e) => e.type === 'node_retry');
    expect(retry).toMatchObject({
      nodeId: 't',
      attempt: 1,
      delayMs: 150,
      error: { code: 'rate_limited', retryable: true },
    });
    expect(res.trace.spans[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    const started = events.filter((e) => e.type === 'node_started').map((e) => (e as { attempt: number }).attempt);
    expect(started).toEqual([1, 2]);
  });

  it('gives up after node.retry.max retries with backoff', async () => {
    const flow = flowOf([tpl('t', 'x', { retry: { max: 2, baseMs: 5 } })], []);
    let calls = 0;
    const down: Executor<unknown> = async () => {
      calls++;
      throw new NodeError('provider_error', '503 Service Unavailable', { retryable: true });
    };
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(down) });
    expect(calls).toBe(3);
    expect(res.status).toBe('failed');
    expect(res.trace.error).toMatchObject({ code: 'provider_error', nodeId: 't' });
    expect(res.trace.spans[0].attempts).toBe(3);
  });

  it('does not retry a non-retryable error', async () => {
    const flow = flowOf([tpl('t', 'x', { retry: { max: 5, baseMs: 1 } })], []);
    let calls = 0;
    const bad: Executor<unknown> = async () => {
      calls++;
      throw new NodeError('bad_request', '400 Bad Request');
    };
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(bad) });
    expect(calls).toBe(1);
    expect(res.trace.error).toMatchObject({ code: 'bad_request', nodeId: 't', retryable: false });
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    const flow = flowOf([tpl('t', 'x')], []);
    let calls = 0;
    const exec: Executor<unknown> = async () => {
      calls++;
      throw new NodeError('rate_limited', 'slow down', { retryable: true, retryAfterMs: 3_600_000 });
    };
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(exec) });
    expect(calls).toBe(1);
    expect(res.status).toBe('failed');
  });

  it('cancels mid-run: status cancelled, in-flight executors see an aborted signal', async () => {
    const flow = flowOf([tpl('a', 'a'), tpl('b', '{{x}}')], [['a', 'result', 'b', 'x']]);
    const ctrl = new AbortController();
    let seen: AbortSignal | undefined;
    const exec: Executor<unknown> = async (ctx) => {
      seen = ctx.signal;
      await sleep(5_000, ctx.signal);
      return { outputs: { result: 'x' } };
    };
    setTimeout(() => ctrl.abort(), 50);
    const t0 = performance.now();
    const res = await runFlow(
      flow,
      { question: 'q' },
      { services, executors: withTransform(exec), signal: ctrl.signal },
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.status).toBe('cancelled');
    expect(seen?.aborted).toBe(true);
    expect(res.trace.error?.code).toBe('cancelled');
    const byId = Object.fromEntries(res.trace.spans.map((s) => [s.nodeId, s.status]));
    expect(byId).toEqual({ a: 'cancelled', b: 'cancelled' });
  });

  it('a run cancelled before it starts runs nothing', async () => {
    const flow = flowOf([tpl('a', 'a')], []);
    let calls = 0;
    const exec: Executor<unknown> = async () => {
      calls++;
      return { outputs: {} };
    };
    const res = await runFlow(
      flow,
      { question: 'q' },
      { services, executors: withTransform(exec), signal: AbortSignal.abort() },
    );
    expect(res.status).toBe('cancelled');
    expect(calls).toBe(0);
  });

  it('a failing node fails the run and aborts the other in-flight nodes', async () => {
    const flow = flowOf([tpl('slow', 'a'), tpl('bad', 'b')], []);
    let slowAborted = false;
    const exec: Executor<unknown> = async (ctx) => {
      if (ctx.node.id === 'bad') {
        await sleep(20);
        throw new Error('boom');
      }
      try {
        await sleep(5_000, ctx.signal);
      } catch (e) {
        slowAborted = ctx.signal.aborted;
        throw e;
      }
      return { outputs: {} };
    };
    const t0 = performance.now();
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(exec) });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(res.status).toBe('failed');
    expect(res.trace.error).toMatchObject({ code: 'node_error', message: 'boom', nodeId: 'bad' });
    expect(slowAborted).toBe(true);
    expect(res.trace.spans.find((s) => s.nodeId === 'slow')?.status).toBe('cancelled');
  });

  it('merges branches: an input port takes the first edge whose source was not skipped', async () => {
    const flow = flowOf(
      [
        { id: 'in', type: 'input' },
        { id: 'route', type: 'condition', config: { branches: [{ name: 'yes', when: "$ = 'go'" }], otherwise: 'no' } },
        tpl('y', 'YES {{v}}'),
        tpl('n', 'NO {{v}}'),
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'question', 'route', 'input'],
        ['route', 'yes', 'y', 'v'],
        ['route', 'no', 'n', 'v'],
        ['y', 'result', 'out', 'answer'],
        ['n', 'result', 'out', 'answer'],
      ],
    );
    const go = await runFlow(flow, { question: 'go' }, { services });
    expect(go.outputs).toEqual({ answer: 'YES go' });
    expect(go.trace.spans.find((s) => s.nodeId === 'n')).toMatchObject({ status: 'skipped' });
    expect(go.trace.spans.find((s) => s.nodeId === 'n')?.skipReason).toContain('route.no');
    const stop = await runFlow(flow, { question: 'stop' }, { services });
    expect(stop.outputs).toEqual({ answer: 'NO stop' });
    expect(stop.trace.spans.find((s) => s.nodeId === 'y')?.status).toBe('skipped');
    expect(stop.trace.spans.find((s) => s.nodeId === 'route')?.meta).toEqual({ branch: 'no' });
  });

  it('leaves out an output whose branch was not taken', async () => {
    const flow = flowOf(
      [
        { id: 'in', type: 'input' },
        { id: 'route', type: 'condition', config: { branches: [{ name: 'yes', when: 'false' }] } },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'question', 'route', 'input'],
        ['route', 'yes', 'out', 'answer'],
        ['in', 'question', 'out', 'echo'],
      ],
      {
        outputs: [
          { name: 'answer', type: 'any' },
          { name: 'echo', type: 'string' },
        ],
      },
    );
    const res = await runFlow(flow, { question: 'hi' }, { services });
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ echo: 'hi' });
  });

  describe('validator re-ask', () => {
    const flow = (maxReasks: number): Flow =>
      flowOf(
        [
          { id: 'in', type: 'input' },
          tpl('gen', '{{q}}'),
          {
            id: 'check',
            type: 'validator',
            config: { rules: [{ kind: 'contains', value: 'ok' }], onFail: 'reask', maxReasks },
          },
          { id: 'out', type: 'output' },
        ],
        [
          ['in', 'question', 'gen', 'q'],
          ['gen', 'result', 'check', 'value'],
          ['check', 'value', 'out', 'answer'],
        ],
      );

    it('re-runs the upstream node with feedback and succeeds on the 2nd attempt', async () => {
      const feedbacks: Array<NodeContext['feedback']> = [];
      const gen: Executor<unknown> = async (ctx) => {
        feedbacks.push(ctx.feedback);
        return { outputs: { result: ctx.feedback ? 'ok now' : 'bad' } };
      };
      const events: RunEvent[] = [];
      const res = await runFlow(
        flow(2),
        { question: 'q' },
        { services, executors: withTransform(gen), onEvent: (e) => events.push(e) },
      );
      expect(res.status).toBe('succeeded');
      expect(res.outputs).toEqual({ answer: 'ok now' });
      expect(feedbacks[0]).toBeUndefined();
      expect(feedbacks[1]).toMatchObject({ attempt: 1, previousOutputs: { result: 'bad' } });
      expect(feedbacks[1]!.message).toContain('does not contain "ok"');
      const genSpan = res.trace.spans.find((s) => s.nodeId === 'gen')!;
      const checkSpan = res.trace.spans.find((s) => s.nodeId === 'check')!;
      expect(genSpan.attempts).toBe(2);
      expect(checkSpan.attempts).toBe(2);
      expect(checkSpan.meta?.reasks).toHaveLength(1);
      expect(events.some((e) => e.type === 'node_retry' && e.nodeId === 'check' && e.error.code === 'reask')).toBe(
        true,
      );
      expect(res.trace.spans.filter((s) => s.nodeId === 'gen')).toHaveLength(1);
    });

    it('fails the validator after maxAttempts re-asks with the last errors', async () => {
      let calls = 0;
      const gen: Executor<unknown> = async () => {
        calls++;
        return { outputs: { result: 'still bad' } };
      };
      const res = await runFlow(flow(2), { question: 'q' }, { services, executors: withTransform(gen) });
      expect(calls).toBe(3);
      expect(res.status).toBe('failed');
      expect(res.trace.error).toMatchObject({ code: 'validation_failed', nodeId: 'check' });
      expect(res.trace.error!.message).toContain('after 2 re-asks');
      expect(res.trace.error!.message).toContain('does not contain "ok"');
    });
  });

  describe('run inputs', () => {
    const flow = flowOf(
      [
        { id: 'in', type: 'input' },
        { id: 'out', type: 'output' },
      ],
      [
        ['in', 'question', 'out', 'answer'],
        ['in', 'n', 'out', 'n'],
      ],
      {
        inputs: [
          { name: 'question', type: 'string', required: true },
          { name: 'n', type: 'number', default: 3 },
        ],
        outputs: [
          { name: 'answer', type: 'string' },
          { name: 'n', type: 'number' },
        ],
      },
    );

    it('rejects missing, mistyped and unknown inputs before any event', async () => {
      const events: RunEvent[] = [];
      const err = await runFlow(flow, { n: 'three', extra: 1 }, { services, onEvent: (e) => events.push(e) }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RunInputError);
      const paths = (err as RunInputError).issues.map((i) => i.path).sort();
      expect(paths).toEqual(['inputs.extra', 'inputs.n', 'inputs.question']);
      expect(events).toHaveLength(0);
    });

    it('applies defaults', async () => {
      const res = await runFlow(flow, { question: 'hi' }, { services });
      expect(res.outputs).toEqual({ answer: 'hi', n: 3 });
      expect(res.trace.inputs).toEqual({ question: 'hi', n: 3 });
    });
  });

  it('sums usage and makes cost null when any price is unknown', async () => {
    const flow = flowOf([tpl('a', 'a'), tpl('b', 'b')], []);
    const exec: Executor<unknown> = async (ctx) => {
      ctx.recordUsage(
        'm',
        { promptTokens: 10, completionTokens: 5, totalTokens: 15 },
        ctx.node.id === 'a' ? 0.002 : null,
      );
      ctx.setMeta({ k: ctx.node.id });
      return { outputs: { result: 'x' } };
    };
    const res = await runFlow(flow, { question: 'q' }, { services, executors: withTransform(exec) });
    expect(res.trace.usage).toEqual({ promptTokens: 20, completionTokens: 10, totalTokens: 30, cost: null });
    expect(res.trace.spans.find((s) => s.nodeId === 'a')).toMatchObject({ model: 'm', cost: 0.002, meta: { k: 'a' } });
    expect(res.trace.spans.find((s) => s.nodeId === 'b')?.cost).toBeNull();
  });

  it('streams tokens into the event stream', async () => {
    const flow = flowOf([tpl('a', 'a')], []);
    const exec: Executor<unknown> = async (ctx) => {
      ctx.emitToken('he');
      ctx.emitToken('llo');
      return { outputs: { result: 'hello' } };
    };
    const events: RunEvent[] = [];
    await runFlow(
      flow,
      { question: 'q' },
      { services, executors: withTransform(exec), onEvent: (e) => events.push(e) },
    );
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { token: string }).token)).toEqual(['he', 'llo']);
  });

  it('runs a single node with given inputs (`only`)', async () => {
    const flow = flowOf(
      [{ id: 'in', type: 'input' }, tpl('t', '<{{q}}|{{r}}>', { values: { r: 'lit' } })],
      [['in', 'question', 't', 'q']],
    );
    const res = await runFlow(flow, {}, { services, only: { nodeId: 't', inputs: { q: 'given' } } });
    expect(res.status).toBe('succeeded');
    expect(res.outputs).toEqual({ result: '<given|lit>' });
    expect(res.trace.spans.map((s) => s.nodeId)).toEqual(['t']);
    await expect(runFlow(flow, {}, { services, only: { nodeId: 'nope', inputs: {} } })).rejects.toBeInstanceOf(
      RunInputError,
    );
  });

  it('fails a flow with a cycle instead of hanging', async () => {
    const flow = flowOf(
      [tpl('a', '{{x}}'), tpl('b', '{{x}}')],
      [
        ['a', 'result', 'b', 'x'],
        ['b', 'result', 'a', 'x'],
      ],
    );
    const res = await runFlow(flow, { question: 'q' }, { services });
    expect(res.status).toBe('failed');
    expect(res.trace.error?.code).toBe('invalid_flow');
    expect(res.trace.error?.message).toMatch(/a → b → a|b → a → b/);
  });

  it('fails nodes with an unknown type or invalid config with a clear error', async () => {
    const unknown = await runFlow(flowOf([{ id: 'x', type: 'mystery' }], []), { question: 'q' }, { services });
    expect(unknown.trace.error).toMatchObject({ code: 'unknown_node_type', nodeId: 'x' });
    const invalid = await runFlow(
      flowOf([{ id: 'x', type: 'transform', config: { mode: 'template' } }], []),
      { question: 'q' },
      { services },
    );
    expect(invalid.trace.error).toMatchObject({ code: 'invalid_config', nodeId: 'x', path: 'config.template' });
  });
});
