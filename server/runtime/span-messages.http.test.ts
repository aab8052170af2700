/**
 * A prompt span keeps the messages its model call sent (rendered templates, inserted
 * history), with secrets redacted in the run response and the stored run, and bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow, SpanMessage, Trace } from '../../shared';
import { MAX_SPAN_MESSAGE_CHARS, MAX_SPAN_MESSAGES_CHARS } from '../../shared/limits';
import { PROVIDER_KEY, startDeployServer, type DeployServer } from '../deployment/testing';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { promptFlow } from '../../test/support/flows';
import { boundMessages } from './span-messages';

const flow: Flow = promptFlow({
  id: 'chat',
  name: 'Chat',
  inputs: [
    { name: 'question', type: 'string', required: true },
    { name: 'history', type: 'messages' },
  ],
  messages: [
    { role: 'system', content: '丁寧に答えてください。' },
    { role: 'history', variable: 'history' },
    { role: 'user', content: '質問: {{question}}' },
  ],
});

let fake: FakeOpenAI;
let s: DeployServer;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({ openaiUrl: fake.url, flows: [flow] });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('span messages', () => {
  it('records the rendered messages of a prompt call, secrets redacted, in the response and the stored run', async () => {
    const res = await s.api('/api/flows/chat/runs', {
      method: 'POST',
      json: {
        inputs: {
          question: `鍵は ${PROVIDER_KEY} ですか？`,
          history: [
            { role: 'user', content: 'こんにちは' },
            { role: 'assistant', content: 'こんにちは！' },
          ],
        },
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runId: string; trace: Trace };
    const expected: SpanMessage[] = [
      { role: 'system', content: '丁寧に答えてください。' },
      { role: 'user', content: 'こんにちは' },
      { role: 'assistant', content: 'こんにちは！' },
      { role: 'user', content: '質問: 鍵は [redacted] ですか？' },
    ];
    const span = body.trace.spans.find((sp) => sp.nodeId === 'answer');
    expect(span?.messages).toEqual(expected);
    // the model did get the key (the user typed it); only what Braid shows and stores is redacted
    expect(JSON.stringify(fake.calls[0]?.body)).toContain(PROVIDER_KEY);
    const stored = (await (await s.api(`/api/runs/${body.runId}`)).json()) as { trace: Trace };
    expect(stored.trace.spans.find((sp) => sp.nodeId === 'answer')?.messages).toEqual(expected);
    expect(JSON.stringify(stored)).not.toContain(PROVIDER_KEY);
    // nodes that call no model carry none
    expect(body.trace.spans.find((sp) => sp.nodeId === 'inputs')?.messages).toBeUndefined();
  });

  it('bounds the messages: long texts are cut, and older turns beyond the span budget are left out and counted', () => {
    const long = 'あ'.repeat(MAX_SPAN_MESSAGE_CHARS + 500);
    const one = boundMessages([{ role: 'user', content: long }]);
    expect(one.messages[0]!.content.length).toBeLessThan(MAX_SPAN_MESSAGE_CHARS + 100);
    expect(one.messages[0]!.content).toContain('500 more characters cut');

    const turns: SpanMessage[] = [{ role: 'system', content: 'sys' }];
    for (let i = 0; i < 20; i++) turns.push({ role: i % 2 ? 'assistant' : 'user', content: `${i}`.repeat(10_000) });
    const { messages, omitted } = boundMessages(turns);
    expect(messages[0]).toEqual({ role: 'system', content: 'sys' });
    expect(messages.at(-1)!.content.startsWith('19')).toBe(true);
    expect(omitted).toBe(turns.length - messages.length);
    expect(omitted).toBeGreaterThan(0);
    const total = messages.reduce((n, m) => n + m.content.length, 0);
    expect(total).toBeLessThanOrEqual(MAX_SPAN_MESSAGES_CHARS);
  });
});
