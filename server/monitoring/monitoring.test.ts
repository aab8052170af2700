import { describe, expect, it } from 'vitest';
import { measure, normaliseRule } from './alerts';
import { EndpointMetrics } from './metrics';
import { computeStats, percentileSorted, type StatRow } from './stats';

function row(at: number, latency: number, extra: Partial<StatRow> = {}): StatRow {
  return {
    status: 'succeeded',
    latency_ms: latency,
    total_tokens: 10,
    cost: 0.001,
    created_at: at,
    prompt_injection: 0,
    feedback_sentiment: null,
    ...extra,
  };
}

describe('stats', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentileSorted(v, 0.5)).toBe(50);
    expect(percentileSorted(v, 0.95)).toBe(95);
    expect(percentileSorted(v, 0.99)).toBe(99);
    expect(percentileSorted([], 0.5)).toBeNull();
  });

  it('buckets requests, errors, latency, tokens and cost', () => {
    const rows = [
      row(0, 10),
      row(10, 30, { status: 'failed' }),
      row(60_000, 50),
      row(61_000, 70, { feedback_sentiment: 0, prompt_injection: 1 }),
    ];
    const s = computeStats('d', rows, 0, 120_000, 60_000);
    expect(s.buckets.map((b) => [b.requests, b.errors, b.p50, b.tokens])).toEqual([
      [2, 1, 10, 20],
      [2, 0, 50, 20],
    ]);
    expect(s.totals).toMatchObject({
      requests: 4,
      errors: 1,
      errorRate: 0.25,
      p50: 30,
      p99: 70,
      requestsPerMinute: 2,
      negativeFeedback: 1,
      feedback: 1,
      promptInjections: 1,
    });
    expect(s.totals.cost).toBeCloseTo(0.004);
  });
});

describe('client and server errors', () => {
  it('keeps 4xx apart from 5xx; a client that hung up (499) is neither', () => {
    const rows = [
      row(0, 10),
      row(1, 10, { status: 'rejected', http_status: 400 }),
      row(2, 10, { status: 'rejected', http_status: 429 }),
      row(3, 10, { status: 'failed', http_status: 500 }),
      row(4, 10, { status: 'failed', http_status: 504 }),
      row(5, 10, { status: 'cancelled', http_status: 499 }),
      row(6, 10, { status: 'rejected' }),
      row(7, 10, { status: 'failed' }),
    ];
    const s = computeStats('d', rows, 0, 60_000, 60_000);
    expect(s.totals).toMatchObject({
      requests: 8,
      errors: 3,
      clientErrors: 3,
      errorRate: 3 / 8,
      clientErrorRate: 3 / 8,
    });
    expect(s.buckets[0]).toMatchObject({ errors: 3, clientErrors: 3 });
    expect(measure({ kind: 'error_rate', minSamples: 1, windowMs: 60_000 }, 'd', rows, 0, 60_000)).toBe(3 / 8);
    expect(
      measure({ kind: 'client_error_rate', minSamples: 1, windowMs: 60_000 }, 'd', rows.slice(0, 3), 0, 60_000),
    ).toBe(2 / 3);
  });

  it('a call waiting for a person (202) is no error; its run failing later is a server error', () => {
    const rows = [
      row(0, 10, { status: 'waiting', http_status: 202 }),
      row(1, 9_000, { status: 'failed', http_status: 202 }),
      row(2, 20_000, { status: 'succeeded', http_status: 202 }),
    ];
    const s = computeStats('d', rows, 0, 60_000, 60_000);
    expect(s.totals).toMatchObject({ requests: 3, errors: 1, clientErrors: 0 });
  });
});

describe('alert rules', () => {
  const rows = [
    row(0, 100),
    row(1, 200, { status: 'failed' }),
    row(2, 900, { status: 'failed', prompt_injection: 1, feedback_sentiment: 0 }),
    row(3, 100, { feedback_sentiment: 1 }),
  ];
  it('measures each kind over a window', () => {
    const m = (kind: Parameters<typeof measure>[0]['kind'], minSamples = 1) =>
      measure({ kind, minSamples, windowMs: 60_000 }, 'd', rows, 0, 60_000);
    expect(m('error_rate')).toBe(0.5);
    expect(m('error_rate', 5)).toBeUndefined();
    expect(m('p95_latency_ms')).toBe(900);
    expect(m('cost_per_hour')).toBeCloseTo(0.004 * 60);
    expect(m('negative_feedback_rate')).toBe(0.5);
    expect(m('prompt_injection')).toBe(1);
  });

  it('checks rule definitions', () => {
    expect(normaliseRule({ kind: 'error_rate', threshold: 0.1 })).toMatchObject({
      windowMs: 300_000,
      minSamples: 10,
      cooldownMs: 900_000,
      enabled: true,
      slug: null,
    });
    expect(() => normaliseRule({ kind: 'nope' as never, threshold: 1 })).toThrow(/kind/);
    expect(() => normaliseRule({ kind: 'error_rate', threshold: -1 })).toThrow(/threshold/);
    expect(() => normaliseRule({ kind: 'error_rate', threshold: 1, webhookUrl: 'file:///etc/passwd' })).toThrow(/http/);
  });
});

describe('prometheus metrics', () => {
  it('counts per deployment without leaking anything else', async () => {
    const m = new EndpointMetrics({ defaultMetrics: false });
    m.record({
      slug: 'a',
      version: 2,
      api: 'endpoint',
      status: 'succeeded',
      httpStatus: 200,
      latencyMs: 12,
      promptTokens: 5,
      completionTokens: 3,
      cost: 0.5,
      promptInjection: true,
    });
    const text = await m.text();
    expect(text).toContain(
      'braid_endpoint_requests_total{deployment="a",version="2",api="endpoint",status="succeeded",code="200"} 1',
    );
    expect(text).toContain(
      'braid_endpoint_request_duration_seconds_bucket{le="0.025",deployment="a",api="endpoint"} 1',
    );
    expect(text).toContain('braid_endpoint_tokens_total{deployment="a",kind="prompt"} 5');
    expect(text).toContain('braid_endpoint_prompt_injections_total{deployment="a"} 1');
  });
});
