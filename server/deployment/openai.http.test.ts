import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import type { DeployResult, LogPage } from '../../shared/api/deployment';
import { chatFlow, promptFlow, startDeployServer, type DeployServer } from './testing';

let fake: FakeOpenAI;
let s: DeployServer;
let qaKey = '';
let chatKey = '';

async function deploy(flowId: string): Promise<DeployResult> {
  const res = await s.api(`/api/flows/${flowId}/deployments`, { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  return (await res.json()) as DeployResult;
}

function client(apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${s.url}/v1`, maxRetries: 0, timeout: 10_000 });
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({ openaiUrl: fake.url, flows: [promptFlow('qa-bot', 'Be brief.'), chatFlow('chatty')] });
  qaKey = (await deploy('qa-bot')).apiKey as string;
  chatKey = (await deploy('chatty')).apiKey as string;
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('OpenAI-compatible endpoint with the official openai client', () => {
  it('answers a non-streaming chat completion with real usage', async () => {
    fake.reset();
    const c = await client(qaKey).chat.completions.create({
      model: 'qa-bot',
      messages: [
        { role: 'system', content: 'ignored by a one-input flow' },
        { role: 'user', content: 'What is Braid?' },
      ],
    });
    expect(c.object).toBe('chat.completion');
    expect(c.choices[0]?.message.content).toBe('Echo: What is Braid?');
    expect(c.choices[0]?.finish_reason).toBe('stop');
    // The flow's own model call is what the usage reports.
    const upstream = fake.calls.filter((x) => x.path === '/v1/chat/completions');
    expect(upstream).toHaveLength(1);
    expect(c.usage?.prompt_tokens).toBeGreaterThan(5);
    expect(c.usage?.completion_tokens).toBeGreaterThan(0);
    expect(c.usage?.total_tokens).toBe((c.usage?.prompt_tokens ?? 0) + (c.usage?.completion_tokens ?? 0));
    // The flow received only the last user message, in its own prompt.
    const sent = upstream[0]?.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is Braid?' },
    ]);
  });

  it('streams chunks and a usage chunk', async () => {
    fake.reset();
    const stream = await client(qaKey).chat.completions.create({
      model: 'qa-bot',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'stream this answer please' }],
    });
    let text = '';
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('Echo: stream this answer please');
    expect(chunks).toBeGreaterThan(3);
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('lists the models the key may call, and refuses other models', async () => {
    const models = await client(qaKey).models.list();
    expect(models.data.map((m) => m.id)).toEqual(['qa-bot']);
    await expect(
      client(qaKey).chat.completions.create({ model: 'chatty', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 403 });
    await expect(client('brd_' + 'y'.repeat(43)).models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('gives a messages-input flow the conversation, and remembers it per `user`', async () => {
    fake.reset();
    const ai = client(chatKey);
    await ai.chat.completions.create({
      model: 'chatty',
      user: 'ann',
      messages: [{ role: 'user', content: 'My name is Ann.' }],
    });
    // Only the new turn is sent; the server remembers the first one.
    const r2 = await ai.chat.completions.create({
      model: 'chatty',
      user: 'ann',
      messages: [{ role: 'user', content: 'What is my name?' }],
    });
    expect(r2.choices[0]?.message.content).toBe('Echo: What is my name?');
    const sent = fake.calls.filter((x) => x.path === '/v1/chat/completions').at(-1)?.body as {
      messages: Array<{ role: string; content: string }>;
    };
    expect(sent.messages.map((m) => [m.role, m.content])).toEqual([
      ['system', 'You are a helpful assistant.'],
      ['user', 'My name is Ann.'],
      ['assistant', 'Echo: My name is Ann.'],
      ['user', 'What is my name?'],
    ]);
    // A client that resends the whole conversation gets the same prompt (no duplicated turns).
    await ai.chat.completions.create({
      model: 'chatty',
      user: 'ann',
      messages: [
        { role: 'user', content: 'My name is Ann.' },
        { role: 'assistant', content: 'Echo: My name is Ann.' },
        { role: 'user', content: 'What is my name?' },
        { role: 'assistant', content: 'Echo: What is my name?' },
        { role: 'user', content: 'Thanks' },
      ],
    });
    const third = fake.calls.filter((x) => x.path === '/v1/chat/completions').at(-1)?.body as {
      messages: Array<{ role: string }>;
    };
    expect(third.messages).toHaveLength(6);
    const logs = (await (await s.api('/api/deployments/chatty/logs')).json()) as LogPage;
    expect(logs.items.every((i) => i.api === 'openai' && i.sessionId === 'ann')).toBe(true);
  });

  it('keeps a `user` conversation per key: another key with the same `user` neither sees nor continues it', async () => {
    const created = await s.api('/api/deployments/chatty/keys', { method: 'POST', json: { label: 'second app' } });
    expect(created.status).toBe(201);
    const second = (await created.json()) as { key: { id: string }; apiKey: string };
    fake.reset();
    const upstream = () =>
      (
        fake.calls.filter((x) => x.path === '/v1/chat/completions').at(-1)?.body as {
          messages: Array<{ role: string; content: string }>;
        }
      ).messages.map((m) => [m.role, m.content]);
    // The same `user` as the first key's conversation (which holds "My name is Ann.").
    await client(second.apiKey).chat.completions.create({
      model: 'chatty',
      user: 'ann',
      messages: [{ role: 'user', content: 'What is my name?' }],
    });
    expect(upstream()).toEqual([
      ['system', 'You are a helpful assistant.'],
      ['user', 'What is my name?'],
    ]);
    // The first key's conversation goes on without the second key's turn in it.
    await client(chatKey).chat.completions.create({
      model: 'chatty',
      user: 'ann',
      messages: [{ role: 'user', content: 'Again?' }],
    });
    const first = upstream();
    expect(first.slice(0, 3)).toEqual([
      ['system', 'You are a helpful assistant.'],
      ['user', 'My name is Ann.'],
      ['assistant', 'Echo: My name is Ann.'],
    ]);
    expect(first.at(-1)).toEqual(['user', 'Again?']);
    expect(first.filter(([, c]) => c === 'What is my name?')).toHaveLength(1); // its own turn only, once
    // A revoked key's conversation is gone with it.
    expect((await s.api(`/api/deployments/chatty/keys/${second.key.id}`, { method: 'DELETE' })).status).toBe(200);
    await expect(
      client(second.apiKey).chat.completions.create({
        model: 'chatty',
        user: 'ann',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
