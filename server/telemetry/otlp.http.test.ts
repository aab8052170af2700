/**
 * OpenTelemetry export through the real app: runs started from the builder API, a
 * deployed endpoint and an evaluation reach an OTLP/HTTP receiver this test starts, as
 * spans nested run → node, with GenAI attributes on the prompt span and secrets redacted.
 * Without an OTLP endpoint nothing is sent.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Trace } from '../../shared';
import type { DeployResult } from '../../shared/api/deployment';
import { readSse } from '../../test/http/harness';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../test/support/otlp-receiver';
import { PROVIDER_KEY, promptFlow, startDeployServer, type DeployServer } from '../deployment/testing';
import { traceIdOf } from './run-tree';

const OTLP_TOKEN = 'otlp-ingest-token-5d41402abc';

let fake: FakeOpenAI;
let receiver: OtlpReceiver;
let s: DeployServer;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  receiver = await startOtlpReceiver();
  s = await startDeployServer({
    openaiUrl: fake.url,
    flows: [promptFlow('greeter', 'Answer in one line.')],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer%20${OTLP_TOKEN}`,
      OTEL_SERVICE_NAME: 'braid-otlp-test',
    },
  });
});
afterAll(async () => {
  await s?.close();
  await receiver?.close();
  await fake?.close();
});
beforeEach(() => receiver.reset());

async function flush(): Promise<void> {
  await s.server.app.context.telemetry!.flush();
}

function treeOf(spans: ReceivedSpan[], runId: string): { run: ReceivedSpan; nodes: ReceivedSpan[] } {
  const run = spans.find((x) => x.attributes['braid.run.id'] === runId);
  expect(run, `a span for run ${runId}`).toBeDefined();
  return { run: run!, nodes: spans.filter((x) => x.parentSpanId === run!.spanId) };
}

describe('OpenTelemetry export from the app', () => {
  it('exports a builder run as run → node spans with GenAI attributes, redacted, to the configured endpoint', async () => {
    // The model echoes the question: both secrets would reach inputs and outputs.
    const question = `東京の天気は? key=${PROVIDER_KEY} token=${OTLP_TOKEN}`;
    const res = await s.api('/api/flows/greeter/runs', { method: 'POST', json: { inputs: { question } } });
    expect(res.status).toBe(200);
    const { runId } = (await res.json()) as { runId: string };
    await flush();

    const { run, nodes } = treeOf(receiver.spans, runId);
    expect(run.parentSpanId).toBe('');
    expect(run.traceId).toBe(traceIdOf(runId));
    expect(run.name).toBe('run greeter');
    expect(run.statusCode).toBe(1);
    expect(run.attributes['braid.source']).toBe('api');
    expect(run.resource['service.name']).toBe('braid-otlp-test');
    expect(nodes.map((n) => n.name).sort()).toEqual(['input inputs', 'output outputs', 'prompt answer']);
    expect(receiver.spans.every((x) => x.traceId === run.traceId)).toBe(true);

    const stored = (await (await s.api(`/api/runs/${runId}`)).json()) as { trace: Trace };
    const answerSpan = stored.trace.spans.find((x) => x.nodeId === 'answer')!;
    const prompt = nodes.find((n) => n.name === 'prompt answer')!;
    expect(prompt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.provider.name': 'openai',
      'gen_ai.usage.input_tokens': answerSpan.tokens!.promptTokens,
      'gen_ai.usage.output_tokens': answerSpan.tokens!.completionTokens,
      'braid.node.status': 'succeeded',
    });
    expect(answerSpan.tokens!.promptTokens).toBeGreaterThan(0);
    expect(prompt.startMs).toBeGreaterThanOrEqual(run.startMs);
    expect(prompt.endMs).toBeLessThanOrEqual(run.endMs);
    expect(String(prompt.attributes['input.value'])).toContain('東京の天気は?');
    // the messages the model was sent, in the GenAI shape
    const sent = JSON.parse(String(prompt.attributes['gen_ai.input.messages'])) as Array<{
      role: string;
      parts: unknown[];
    }>;
    expect(sent.at(-1)).toMatchObject({
      role: 'user',
      parts: [{ type: 'text', content: expect.stringContaining('東京の天気は?') }],
    });
    expect(String(prompt.attributes['output.value'])).toContain('[redacted]');

    // the backend's credentials go in the request headers, and nowhere in the spans
    expect(receiver.requests.every((r) => r.headers.authorization === `Bearer ${OTLP_TOKEN}`)).toBe(true);
    const bodies = receiver.requests.map((r) => r.body).join('\n');
    expect(bodies).not.toContain(PROVIDER_KEY);
    expect(bodies).not.toContain(OTLP_TOKEN);
  });

  it('exports deployed endpoint calls, labelled with the deployment', async () => {
    const dep = await s.api('/api/flows/greeter/deployments', { method: 'POST', json: {} });
    expect(dep.status).toBe(201);
    const { slug, version, apiKey } = (await dep.json()) as DeployResult;
    const call = await s.call(`/v1/endpoints/${slug}`, apiKey ?? undefined, { inputs: { question: 'こんにちは' } });
    expect(call.status).toBe(200);
    const { traceId } = (await call.json()) as { traceId: string };
    await flush();
    const { run, nodes } = treeOf(receiver.spans, traceId);
    expect(run.attributes).toMatchObject({
      'braid.source': 'deployment',
      'braid.deployment.slug': slug,
      'braid.deployment.version': version,
      'braid.deployment.api': 'endpoint',
    });
    expect(nodes).toHaveLength(3);
    expect(nodes.find((n) => n.name === 'prompt answer')?.attributes['gen_ai.request.model']).toBe('gpt-4o-mini');
  });

  it('exports evaluation rows', async () => {
    const up = await s.api('/api/datasets?name=otel-qa', {
      method: 'POST',
      json: [{ q: '一' }, { q: '二' }, { q: '三' }],
    });
    expect(up.status).toBe(201);
    const { dataset } = (await up.json()) as { dataset: { id: string } };
    const created = await s.api('/api/evaluations', {
      method: 'POST',
      json: { flowId: 'greeter', datasetId: dataset.id, config: { mapping: { question: 'q' }, metrics: ['latency'] } },
    });
    expect(created.status).toBe(201);
    const { evaluation } = (await created.json()) as { evaluation: { id: string } };
    const frames = await readSse(
      await s.api(`/api/evaluations/${evaluation.id}/events`, { headers: { accept: 'text/event-stream' } }),
    );
    expect(frames.at(-1)?.event).toBe('finished');
    await flush();
    const runs = receiver.spans.filter((x) => x.name === 'run greeter');
    expect(runs).toHaveLength(3);
    for (const r of runs) {
      expect(r.attributes['braid.source']).toBe('evaluation');
      expect(receiver.spans.filter((x) => x.parentSpanId === r.spanId)).toHaveLength(3);
    }
  });
});

describe('without an OTLP endpoint', () => {
  it('sends nothing and builds no exporter', async () => {
    // The SDK would fall back to the process environment if Braid built an exporter anyway.
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    const quiet = await startDeployServer({ openaiUrl: fake.url, flows: [promptFlow('greeter', 'Hi.')] });
    try {
      expect(quiet.server.app.context.telemetry).toBeUndefined();
      const res = await quiet.api('/api/flows/greeter/runs', { method: 'POST', json: { inputs: { question: 'x' } } });
      expect(res.status).toBe(200);
    } finally {
      await quiet.close(); // an exporter would flush here
      delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    }
    expect(receiver.requests).toHaveLength(0);
  });
});
