import { describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import type { EvaluationInfo } from '../../shared/api/evaluation';
import { openStorage } from '../storage/index';
import { chatInputs, chatShape, mergeWithHistory, normaliseMessages, replyText } from './chat';
import { windowed, type ChatMessage } from './conversations';
import { parseThreshold } from '../evaluation/gate';
import { checkGate } from './gate';
import { bearerToken, digestEquals, generateApiKey, hashApiKey, looksLikeApiKey } from './keys';
import { TokenBucketLimiter } from './rate-limit';
import { redactPii, redactPiiText } from './redact-pii';
import { checkSettings, DeploymentService } from './service';
import { chatFlow, promptFlow } from './testing';
import { EvaluationStore } from '../evaluation/store';

describe('api keys', () => {
  it('are 256-bit, hashed with sha256 and compared in constant time', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a).not.toBe(b);
    expect(looksLikeApiKey(a)).toBe(true);
    expect(Buffer.from(a.slice(4), 'base64url')).toHaveLength(32);
    expect(hashApiKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(digestEquals(hashApiKey(a), hashApiKey(a))).toBe(true);
    expect(digestEquals(hashApiKey(a), hashApiKey(b))).toBe(false);
    expect(digestEquals('', '')).toBe(false);
    expect(bearerToken(`Bearer ${a}`)).toBe(a);
    expect(bearerToken('Basic abc')).toBeUndefined();
  });
});

describe('token bucket', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    let now = 0;
    const l = new TokenBucketLimiter(() => now);
    const limit = { requestsPerMinute: 60, burst: 3 };
    expect([1, 2, 3, 4].map(() => l.take('k', limit).ok)).toEqual([true, true, true, false]);
    const refused = l.take('k', limit);
    expect(refused.retryAfterMs).toBe(1000);
    now += 999;
    expect(l.take('k', limit).ok).toBe(false);
    now += 1;
    expect(l.take('k', limit).ok).toBe(true);
    expect(l.take('other', limit).ok).toBe(true); // buckets are per key
    now += 60_000;
    expect(l.take('k', limit).remaining).toBe(2); // capped at burst
  });
});

describe('chat mapping', () => {
  const qa = promptFlow('qa', 'sys');
  const chat = chatFlow('chat');
  const msgs: ChatMessage[] = [
    { role: 'system', content: 'S' },
    { role: 'user', content: 'one' },
    { role: 'assistant', content: 'A1' },
    { role: 'user', content: 'two' },
  ];

  it('recognises chat flows', () => {
    expect(chatShape(qa)).toEqual({ text: 'question' });
    expect(chatShape(chat)).toEqual({ history: 'history', text: 'question' });
    const two: Flow = { ...qa, inputs: [...qa.inputs, { name: 'lang', type: 'string', required: true }] };
    expect(chatShape(two)).toBeUndefined();
    const onlyMessages: Flow = { ...qa, inputs: [{ name: 'messages', type: 'messages', required: true }] };
    expect(chatShape(onlyMessages)).toEqual({ history: 'messages' });
  });

  it('maps messages to inputs', () => {
    expect(chatInputs({ text: 'question' }, msgs).inputs).toEqual({ question: 'two' });
    expect(chatInputs({ text: 'question', history: 'history' }, msgs).inputs).toEqual({
      question: 'two',
      history: msgs.slice(0, 3),
    });
    expect(chatInputs({ history: 'm' }, msgs).inputs).toEqual({ m: msgs });
    expect(() => chatInputs({ text: 'q' }, [{ role: 'system', content: 'x' }])).toThrow(/user message/);
  });

  it('merges stored history with only the new part of a request', () => {
    const stored: ChatMessage[] = [
      { role: 'user', content: 'one' },
      { role: 'assistant', content: 'A1' },
    ];
    expect(mergeWithHistory([{ role: 'user', content: 'two' }], stored)).toEqual([
      ...stored,
      { role: 'user', content: 'two' },
    ]);
    expect(mergeWithHistory(msgs, stored)).toEqual([
      { role: 'system', content: 'S' },
      ...stored,
      { role: 'user', content: 'two' },
    ]);
    expect(mergeWithHistory(msgs, [])).toEqual(msgs);
  });

  it('normalises OpenAI message shapes and picks the reply', () => {
    expect(
      normaliseMessages([
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'a' },
            { type: 'text', text: 'b' },
          ],
        },
      ]),
    ).toEqual([{ role: 'system', content: 'ab' }]);
    expect(() => normaliseMessages([{ role: 'tool', content: 'x' }])).toThrow(/role/);
    expect(() => normaliseMessages([])).toThrow();
    expect(replyText(qa, { answer: 'hi' })).toBe('hi');
    expect(replyText(qa, { other: 1 })).toBe('{"other":1}');
  });

  it('keeps a window of messages and tokens', () => {
    const many: ChatMessage[] = Array.from({ length: 30 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `m${i}`,
    }));
    expect(windowed(many, { maxMessages: 10, maxTokens: 10_000 }).map((m) => m.content)[0]).toBe('m20');
    const w = windowed(many, { maxMessages: 9, maxTokens: 10_000 });
    expect(w).toHaveLength(8); // 9 newest (m21…m29), minus the leading assistant turn m21
    expect(w[0]?.content).toBe('m22');
    expect(w.at(-1)?.content).toBe('m29');
    const big: ChatMessage[] = [
      { role: 'user', content: 'x'.repeat(4000) },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: 'y' },
    ];
    expect(windowed(big, { maxMessages: 10, maxTokens: 100 })).toEqual([{ role: 'user', content: 'y' }]);
  });
});

describe('PII redaction of logs', () => {
  it('masks e-mails, phones and card numbers in nested values', () => {
    expect(redactPiiText('mail ann@example.com. Card 4111 1111 1111 1111, call +1 415 555 0100 now')).toBe(
      'mail [email]. Card [card], call [phone] now',
    );
    expect(redactPii({ a: ['x ann@example.com'], n: 5 })).toEqual({ a: ['x [email]'], n: 5 });
    expect(redactPiiText('order 12345 on 2024-01-02')).toBe('order 12345 on 2024-01-02');
  });
});

describe('evaluation gate', () => {
  it('parses thresholds', () => {
    expect(parseThreshold('exact_match>=0.8')).toMatchObject({ metric: 'exact_match', op: '>=', value: 0.8 });
    expect(parseThreshold('latency_p95 < 2000')).toMatchObject({ metric: 'latency_p95', op: '<', value: 2000 });
    expect(parseThreshold('cost=0')).toMatchObject({ metric: 'cost', op: '==', value: 0 });
    expect(() => parseThreshold('nonsense')).toThrow(/bad threshold/);
  });

  it('refuses a deploy unless the evaluation of this flow passed', async () => {
    const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: undefined }, { sqliteFile: ':memory:' });
    try {
      const flow = promptFlow('gated', 'S');
      const evals = new EvaluationStore(storage);
      const info = await evals.insert({
        name: 'e',
        flow,
        datasetId: 'd',
        datasetVersionId: 'v',
        config: { mapping: { question: 'q' }, metrics: [], concurrency: 1 },
        total: 1,
      });
      const svc = new DeploymentService(storage);
      const gate = { evaluationId: info.id, thresholds: ['exact_match>=0.8'] };
      await expect(svc.deploy(flow, { gate }, 'http://x')).rejects.toMatchObject({ status: 409, code: 'gate_failed' });
      const summary: EvaluationInfo['summary'] = {
        metrics: [
          {
            name: 'exact_match',
            kind: 'boolean',
            count: 10,
            mean: 0.9,
            median: 1,
            p95: 1,
            min: 0,
            max: 1,
            ci95: null,
            passRate: 0.9,
            histogram: [],
          },
        ],
        latency: { mean: 10, median: 10, p95: 20 },
        tokens: 100,
        costTotal: null,
        succeeded: 10,
        failed: 0,
      };
      await evals.setStatus(info.id, 'completed', { summary: summary ?? undefined, finished: true });
      const ok = await svc.deploy(flow, { gate, note: 'gated' }, 'http://x');
      expect(ok.version).toBe(1);
      expect((await svc.store.version('gated', 1))?.evaluationId).toBe(info.id);
      await expect(
        svc.deploy(flow, { gate: { evaluationId: info.id, thresholds: ['exact_match>=0.95'] } }, 'http://x'),
      ).rejects.toMatchObject({ code: 'gate_failed' });
      const changed = promptFlow('gated', 'S2');
      await expect(svc.deploy(changed, { gate }, 'http://x')).rejects.toMatchObject({ code: 'gate_failed' });
      const e = (await evals.get(info.id)) as EvaluationInfo;
      expect(checkGate(e, flow, flow, ['failed_rate<=0'])).toEqual([]);
    } finally {
      await storage.close();
    }
  });

  it('counts failed rows: failed_rate<=0 is implied, and an evaluation whose every row failed never passes', () => {
    const flow = promptFlow('gated', 'S');
    const agg = { kind: 'boolean' as const, count: 10, median: 1, p95: 1, min: 0, max: 1, ci95: null, histogram: [] };
    const evaluation = (succeeded: number, failed: number, passRate: number): EvaluationInfo => ({
      id: 'e1',
      name: 'e',
      flowId: 'gated',
      datasetId: 'd',
      datasetVersionId: 'v',
      config: { mapping: {}, metrics: ['exact_match' as never], concurrency: 1 },
      status: 'completed',
      total: succeeded + failed,
      done: succeeded + failed,
      failed,
      createdAt: 0,
      startedAt: 0,
      finishedAt: 0,
      error: null,
      summary: {
        metrics: [{ name: 'exact_match', ...agg, mean: passRate, passRate }],
        latency: { mean: 1, median: 1, p95: 1 },
        tokens: 0,
        costTotal: null,
        succeeded,
        failed,
      },
    });
    // 9 of 10 passed, 1 row crashed: exact_match>=0.8 holds, the implied failed_rate<=0 does not.
    const half = checkGate(evaluation(9, 1, 0.9), flow, flow, ['exact_match>=0.8']);
    expect(half).toEqual([
      expect.objectContaining({
        code: 'threshold_failed',
        message: expect.stringMatching(/^failed_rate = 0\.1 .*implied/),
      }),
    ]);
    expect(checkGate(evaluation(9, 1, 0.9), flow, flow, ['exact_match>=0.8', 'failed_rate<=0.1'])).toEqual([]);
    // Every row failed: refused even with no threshold at all.
    const all = checkGate(evaluation(0, 10, 0), flow, flow, []);
    expect(all.map((p) => p.code)).toEqual(['all_rows_failed']);
  });
});

describe('checkSettings (callers that did not parse the body: the CLI)', () => {
  it('applies the API schema: every problem named under settings., origins lower-cased', () => {
    expect(checkSettings(undefined)).toEqual({});
    expect(checkSettings({ corsOrigins: ['https://App.Example.jp'], webhookUrl: null })).toEqual({
      corsOrigins: ['https://app.example.jp'],
      webhookUrl: null,
    });
    let err: unknown;
    try {
      checkSettings({ timeoutMs: 5, 設定: 1, webhookUrl: 'https://u:p@example.com/' });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ status: 400, code: 'invalid_settings' });
    const paths = (err as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['settings.timeoutMs', 'settings.webhookUrl']));
    expect((err as Error).message).toContain('設定');
  });
});
