/**
 * The OpenTelemetry export of run trees, from synthetic event sequences (child runs with
 * `parent`, map items, loop iterations, retries, re-asks), received by a real OTLP/HTTP
 * receiver through the SDK's exporter.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { RunEvent, RunParent } from '../../shared';
import { loadConfig } from '../config';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../test/support/otlp-receiver';
import {
  nodeEnded,
  nodeRetry,
  nodeStarted,
  oneNodeRun,
  runFinished,
  runStarted,
  span,
} from '../../test/support/run-events';
import { createRunTelemetry, type RunTelemetry } from './index';
import { RunTreeTracer, traceIdOf } from './run-tree';

const SECRET = 'sk-live-secret-7f3a9c2b1d';

let receiver: OtlpReceiver;
let telemetry: RunTelemetry;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const config = loadConfig({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'braid-test',
    BRAID_OTEL_CONTENT_MAX_CHARS: '200',
    OPENAI_API_KEY: SECRET,
  });
  telemetry = createRunTelemetry(config)!;
});
afterAll(async () => {
  await telemetry?.shutdown();
  await receiver?.close();
});
beforeEach(() => receiver.reset());

function feed(events: RunEvent[], labels?: Record<string, string>): void {
  for (const e of events) telemetry.onEvent(e, labels);
}

function byName(spans: ReceivedSpan[], name: string, pred: (s: ReceivedSpan) => boolean = () => true): ReceivedSpan[] {
  return spans.filter((s) => s.name === name && pred(s));
}

function only(spans: ReceivedSpan[], name: string, pred?: (s: ReceivedSpan) => boolean): ReceivedSpan {
  const found = byName(spans, name, pred);
  expect(found, `exactly one span "${name}"`).toHaveLength(1);
  return found[0]!;
}

describe('OpenTelemetry export of run trees', () => {
  it('nests child runs under the node that started them, over several levels, with map iterations', async () => {
    const root = randomUUID();
    const t0 = 1_700_000_000_000;
    const item = (i: number): RunParent => ({ runId: root, nodeId: 'each', iteration: i, rootRunId: root, depth: 1 });
    const child = [randomUUID(), randomUUID(), randomUUID()];
    const grand = [randomUUID(), randomUUID()];
    const events: RunEvent[] = [
      runStarted(root, 'outer', t0, { inputs: { topic: '東京の天気' } }),
      nodeStarted(root, 'each', 'map', t0 + 1),
      // items 0 and 1 in parallel, events interleaved
      runStarted(child[0]!, 'inner', t0 + 2, { parent: item(0) }),
      runStarted(child[1]!, 'inner', t0 + 2, { parent: item(1) }),
      nodeStarted(child[0]!, 'summarise', 'prompt', t0 + 3),
      nodeStarted(child[1]!, 'summarise', 'prompt', t0 + 3),
      nodeEnded(
        child[0]!,
        span('summarise', 'prompt', t0 + 3, 40, {
          model: 'openai:gpt-4o-mini',
          tokens: { promptTokens: 12, completionTokens: 7, totalTokens: 19 },
          cost: 0.00001,
          meta: { responseModel: 'gpt-4o-mini-2024-07-18', finishReason: 'stop' },
        }),
      ),
      runFinished(child[0]!, 'inner', t0 + 2, t0 + 50),
      nodeEnded(child[1]!, span('summarise', 'prompt', t0 + 3, 20, { model: 'openai:gpt-4o-mini' })),
      // item 1 refines in a loop: two iterations, each a grandchild run
      nodeStarted(child[1]!, 'refine', 'loop', t0 + 24),
      ...oneNodeRun(grand[0]!, 'critic', 'judge', 'transform', t0 + 25, {
        runId: child[1]!,
        nodeId: 'refine',
        iteration: 0,
        rootRunId: root,
        depth: 2,
      }),
      ...oneNodeRun(grand[1]!, 'critic', 'judge', 'transform', t0 + 40, {
        runId: child[1]!,
        nodeId: 'refine',
        iteration: 1,
        rootRunId: root,
        depth: 2,
      }),
      nodeEnded(child[1]!, span('refine', 'loop', t0 + 24, 30)),
      runFinished(child[1]!, 'inner', t0 + 2, t0 + 60),
      ...oneNodeRun(child[2]!, 'inner', 'summarise', 'transform', t0 + 61, item(2)),
      nodeEnded(root, span('each', 'map', t0 + 1, 75)),
      runFinished(root, 'outer', t0, t0 + 80, { outputs: { summaries: ['晴れ', '雨', '曇り'] } }),
    ];
    feed(events, { 'braid.source': 'api' });
    await telemetry.flush();
    const spans = receiver.spans;
    expect(spans).toHaveLength(1 + 1 + 3 + 3 + 1 + 2 + 2); // runs: root, 3 children, 2 grandchildren; nodes

    const traceId = traceIdOf(root);
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);

    const rootSpan = only(spans, 'run outer');
    expect(rootSpan.parentSpanId).toBe('');
    expect(rootSpan.attributes['braid.run.id']).toBe(root);
    expect(rootSpan.attributes['braid.source']).toBe('api');
    expect(rootSpan.attributes['input.value']).toBe('{"topic":"東京の天気"}');
    expect(rootSpan.attributes['output.value']).toBe('{"summaries":["晴れ","雨","曇り"]}');
    expect(rootSpan.startMs).toBe(t0);
    expect(rootSpan.endMs).toBe(t0 + 80);
    expect(rootSpan.resource['service.name']).toBe('braid-test');

    const mapSpan = only(spans, 'map each');
    expect(mapSpan.parentSpanId).toBe(rootSpan.spanId);

    const childRuns = byName(spans, 'run inner');
    expect(childRuns).toHaveLength(3);
    for (const c of childRuns) {
      expect(c.parentSpanId).toBe(mapSpan.spanId);
      expect(c.attributes['braid.depth']).toBe(1);
      expect(c.attributes['braid.parent.node_id']).toBe('each');
      expect(c.attributes['braid.root_run.id']).toBe(root);
      // labels belong to the root run only
      expect(c.attributes['braid.source']).toBeUndefined();
    }
    expect(childRuns.map((c) => c.attributes['braid.iteration']).sort()).toEqual([0, 1, 2]);
    const runOf = (i: number) => childRuns.find((c) => c.attributes['braid.iteration'] === i)!;

    // each child's nodes sit under that child's run span
    const prompt0 = only(spans, 'prompt summarise', (s) => s.parentSpanId === runOf(0).spanId);
    expect(prompt0.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.finish_reasons': ['stop'],
      'braid.node.status': 'succeeded',
      'braid.cost_usd': 0.00001,
    });
    expect(prompt0.kind).toBe(3); // SPAN_KIND_CLIENT
    expect(prompt0.statusCode).toBe(1);
    expect([prompt0.startMs, prompt0.endMs]).toEqual([t0 + 3, t0 + 43]);
    only(spans, 'prompt summarise', (s) => s.parentSpanId === runOf(1).spanId);
    only(spans, 'transform summarise', (s) => s.parentSpanId === runOf(2).spanId);

    // grandchildren (loop iterations) under item 1's loop node
    const loopSpan = only(spans, 'loop refine');
    expect(loopSpan.parentSpanId).toBe(runOf(1).spanId);
    const critics = byName(spans, 'run critic');
    expect(critics).toHaveLength(2);
    for (const g of critics) {
      expect(g.parentSpanId).toBe(loopSpan.spanId);
      expect(g.attributes['braid.depth']).toBe(2);
      expect(g.attributes['braid.parent.run_id']).toBe(child[1]);
    }
    expect(critics.map((g) => g.attributes['braid.iteration']).sort()).toEqual([0, 1]);
    for (const g of critics) only(spans, 'transform judge', (s) => s.parentSpanId === g.spanId);
  });

  it('keeps retries in one span with an event per attempt, and records failures as errors', async () => {
    const runId = randomUUID();
    const t0 = 1_700_000_100_000;
    feed([
      runStarted(runId, 'flaky', t0),
      nodeStarted(runId, 'call', 'prompt', t0 + 1, 1),
      nodeRetry(runId, 'call', t0 + 5, 1, { code: 'rate_limited', message: 'provider said 429', retryable: true }),
      nodeStarted(runId, 'call', 'prompt', t0 + 15, 2),
      nodeEnded(
        runId,
        span('call', 'prompt', t0 + 1, 30, {
          status: 'failed',
          attempts: 2,
          model: 'anthropic:claude-3-5-haiku',
          error: { code: 'provider_error', message: `upstream rejected key ${SECRET}` },
        }),
      ),
      nodeEnded(runId, span('after', 'transform', t0 + 31, 0, { status: 'skipped', skipReason: 'upstream failed' })),
      runFinished(runId, 'flaky', t0, t0 + 32, {
        status: 'failed',
        error: { code: 'provider_error', message: `upstream rejected key ${SECRET}`, nodeId: 'call' },
      }),
    ]);
    await telemetry.flush();
    const spans = receiver.spans;
    const call = only(spans, 'prompt call');
    expect(call.events.map((e) => e.name)).toEqual(['retry', 'attempt']);
    expect(call.events[0]!.attributes['braid.error.code']).toBe('rate_limited');
    expect(call.statusCode).toBe(2);
    expect(call.statusMessage).toContain('provider_error');
    expect(call.attributes['gen_ai.provider.name']).toBe('anthropic');
    expect(call.attributes['braid.node.attempts']).toBe(2);
    const skipped = only(spans, 'transform after');
    expect(skipped.statusCode).toBe(0);
    expect(skipped.attributes['braid.skip_reason']).toBe('upstream failed');
    const run = only(spans, 'run flaky');
    expect(run.statusCode).toBe(2);
    expect(run.attributes['braid.error.node_id']).toBe('call');
    // the provider key never leaves the process
    const bodies = receiver.requests.map((r) => r.body).join('\n');
    expect(bodies).toContain('[redacted]');
    expect(bodies).not.toContain(SECRET);
  });

  it('ends a re-asked node execution as superseded and starts a new span', async () => {
    const runId = randomUUID();
    const t0 = 1_700_000_200_000;
    feed([
      runStarted(runId, 'reask', t0),
      nodeStarted(runId, 'draft', 'prompt', t0 + 1),
      nodeEnded(runId, span('draft', 'prompt', t0 + 1, 10)),
      nodeStarted(runId, 'check', 'validator', t0 + 12),
      nodeRetry(runId, 'check', t0 + 13, 1, { code: 'reask', message: 'not JSON' }),
      nodeStarted(runId, 'draft', 'prompt', t0 + 14, 2),
      nodeEnded(runId, span('draft', 'prompt', t0 + 1, 20, { attempts: 2 })),
      nodeStarted(runId, 'check', 'validator', t0 + 22, 2),
      nodeEnded(runId, span('check', 'validator', t0 + 12, 11, { attempts: 2 })),
      runFinished(runId, 'reask', t0, t0 + 24),
    ]);
    await telemetry.flush();
    const drafts = byName(receiver.spans, 'prompt draft');
    expect(drafts).toHaveLength(2);
    expect(drafts.map((d) => d.startMs).sort()).toEqual([t0 + 1, t0 + 14]);
    const check = only(receiver.spans, 'validator check');
    expect(check.events.map((e) => e.name)).toEqual(['reask', 'attempt']);
    expect(check.attributes['openinference.span.kind']).toBe('GUARDRAIL');
  });

  it('caps inputs and outputs at the configured size, secrets redacted first', async () => {
    const runId = randomUUID();
    const t0 = 1_700_000_300_000;
    const huge = 'あ'.repeat(180) + SECRET + 'い'.repeat(50_000);
    feed([
      runStarted(runId, 'big', t0, { inputs: { text: huge } }),
      nodeStarted(runId, 'echo', 'transform', t0 + 1),
      nodeEnded(runId, span('echo', 'transform', t0 + 1, 2, { inputs: { text: huge }, outputs: { text: huge } })),
      runFinished(runId, 'big', t0, t0 + 4, { outputs: { text: huge } }),
    ]);
    await telemetry.flush();
    const echo = only(receiver.spans, 'transform echo');
    for (const key of ['input.value', 'output.value']) {
      const v = String(echo.attributes[key]);
      expect(v.length).toBeLessThanOrEqual(200 + '…[truncated]'.length);
      expect(v.endsWith('…[truncated]')).toBe(true);
      expect(v.startsWith('{"text":"あああ')).toBe(true);
    }
    expect(receiver.requests.map((r) => r.body).join('')).not.toContain(SECRET.slice(0, 10));
  });
});

describe('run state is bounded', () => {
  function tracer(maxOpenRuns: number) {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
    const tree = new RunTreeTracer(provider.getTracer('test'), { maxContentChars: 100, secrets: [], maxOpenRuns });
    return { tree, memory };
  }

  it('keeps the tree bookkeeping but builds and sends nothing for runs the sampler drops', () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      sampler: new AlwaysOffSampler(),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tree = new RunTreeTracer(provider.getTracer('test'), { maxContentChars: 100, secrets: [] });
    const root = randomUUID();
    const child = randomUUID();
    tree.onEvent(runStarted(root, 'outer', 1000, { inputs: { q: 'x' } }));
    tree.onEvent(nodeStarted(root, 'each', 'map', 1001));
    const parent = { runId: root, nodeId: 'each', iteration: 0, rootRunId: root, depth: 1 };
    for (const e of oneNodeRun(child, 'inner', 'n', 'transform', 1002, parent)) tree.onEvent(e);
    tree.onEvent(nodeEnded(root, span('each', 'map', 1001, 20)));
    tree.onEvent(runFinished(root, 'outer', 1000, 1030));
    expect(tree.openRuns).toBe(0);
    expect(memory.getFinishedSpans()).toHaveLength(0);
  });

  it('forgets a run at run_finished', () => {
    const { tree, memory } = tracer(10);
    const runId = randomUUID();
    for (const e of oneNodeRun(runId, 'f', 'n', 'transform', 1000)) tree.onEvent(e);
    expect(tree.openRuns).toBe(0);
    expect(memory.getFinishedSpans()).toHaveLength(2);
  });

  it('ends the oldest runs that never finish as incomplete once the cap is reached', () => {
    const { tree, memory } = tracer(3);
    const ids = Array.from({ length: 50 }, () => randomUUID());
    ids.forEach((id, i) => {
      tree.onEvent(runStarted(id, 'stuck', 1000 + i));
      tree.onEvent(nodeStarted(id, 'wait', 'prompt', 1001 + i));
    });
    expect(tree.openRuns).toBe(3);
    const ended = memory.getFinishedSpans();
    expect(ended).toHaveLength(47 * 2);
    const incomplete = ended.filter((s) => s.name === 'run stuck');
    expect(incomplete.every((s) => s.attributes['braid.incomplete'] === true)).toBe(true);
    // events of an evicted run are ignored, not re-created
    tree.onEvent(runFinished(ids[0]!, 'stuck', 1000, 2000));
    expect(tree.openRuns).toBe(3);
    tree.endAll();
    expect(tree.openRuns).toBe(0);
  });
});

describe('off by default', () => {
  it('creates nothing when no OTLP endpoint is configured', () => {
    expect(createRunTelemetry(loadConfig({}))).toBeUndefined();
    expect(loadConfig({ OTEL_SERVICE_NAME: 'x' }).telemetry).toBeUndefined();
  });

  it('derives the traces URL as the OpenTelemetry spec does, and parses headers', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318/' }).telemetry?.tracesUrl).toBe(
      'http://127.0.0.1:4318/v1/traces',
    );
    const c = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:6006/v1/traces',
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Basic%20cGs6c2s=,x-team = 東京',
    });
    expect(c.telemetry).toMatchObject({
      tracesUrl: 'http://127.0.0.1:6006/v1/traces',
      headers: { Authorization: 'Basic cGs6c2s=', 'x-team': '東京' },
      serviceName: 'braid',
      maxContentChars: 4096,
    });
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://127.0.0.1' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_HEADERS/);
  });
});
