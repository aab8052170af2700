import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import OpenAI from 'openai';
import { ChatOpenAI } from '@langchain/openai';
import { HumanMessage, type AIMessageChunk } from '@langchain/core/messages';
import { startFakeOpenAI, offeredTools, type FakeOpenAI } from './fake-openai';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const tools = [
  {
    type: 'function' as const,
    function: {
      name: 'lookup',
      description: 'Look up',
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
    },
  },
];

describe('fake OpenAI server: tool calls', () => {
  it('answers with parallel tool_calls (not streamed) and then with text', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
    fake.enqueue(
      {
        toolCalls: [
          { id: 'call_a', name: 'lookup', arguments: { q: '東京の天気' } },
          { name: 'lookup', arguments: { q: 'x' } },
        ],
      },
      { reply: '晴れです' },
    );
    const first = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: '天気は？' }],
      tools,
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ id: 'call_a', type: 'function', function: { name: 'lookup' } });
    expect(JSON.parse((calls[0] as { function: { arguments: string } }).function.arguments)).toEqual({
      q: '東京の天気',
    });
    expect(calls[1]!.id).toMatch(/^call_/);
    expect(first.usage!.completion_tokens).toBeGreaterThan(0);
    expect(offeredTools(fake.calls[0]!.body)).toEqual(['lookup']);
    const second = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: '天気は？' }],
      tools,
    });
    expect(second.choices[0]!.message.content).toBe('晴れです');
    expect(second.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams tool calls as chunked deltas that LangChain reassembles', async () => {
    const model = new ChatOpenAI({
      model: 'gpt-4o-mini',
      apiKey: 'k',
      maxRetries: 0,
      streamUsage: true,
      configuration: { baseURL: fake.url },
    }).bindTools([
      { name: 'lookup', description: 'Look up', schema: { type: 'object', properties: { q: { type: 'string' } } } },
    ]);
    fake.enqueue({
      content: '調べます。',
      toolCalls: [
        { id: 'call_1', name: 'lookup', arguments: { q: '長い引数の文字列をいくつかの断片に分けて送る' } },
        { id: 'call_2', name: 'lookup', arguments: { q: 'second' } },
      ],
    });
    const stream = await model.stream([new HumanMessage('go')]);
    let full: AIMessageChunk | undefined;
    let chunks = 0;
    for await (const c of stream) {
      full = full ? full.concat(c) : c;
      chunks++;
    }
    expect(chunks).toBeGreaterThan(6);
    expect(full!.content).toBe('調べます。');
    expect(full!.tool_calls).toEqual([
      expect.objectContaining({
        id: 'call_1',
        name: 'lookup',
        args: { q: '長い引数の文字列をいくつかの断片に分けて送る' },
      }),
      expect.objectContaining({ id: 'call_2', name: 'lookup', args: { q: 'second' } }),
    ]);
    expect(full!.response_metadata.finish_reason).toBe('tool_calls');
    expect(full!.usage_metadata?.output_tokens).toBeGreaterThan(0);
  });

  it('sends raw argument strings as they are (broken JSON for error tests)', async () => {
    const client = new OpenAI({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
    fake.setResponder(() => ({ toolCalls: [{ name: 'lookup', arguments: '{"q": ' }] }));
    const r = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      tools,
    });
    expect((r.choices[0]!.message.tool_calls![0] as { function: { arguments: string } }).function.arguments).toBe(
      '{"q": ',
    );
  });
});
