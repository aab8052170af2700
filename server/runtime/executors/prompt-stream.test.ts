import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { AIMessageChunk, HumanMessage } from '@langchain/core/messages';
import { ChatGenerationChunk } from '@langchain/core/outputs';
import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import { loadConfig } from '../../config';
import { createChatModel } from '../../llm/providers';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai';
import { finishReasonOf, streamChat } from './prompt-stream';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ responder: () => '日本語の答え' });
});
afterAll(async () => {
  await fake.close();
});

function model() {
  const config = loadConfig({ OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test-0123456789abcdef' });
  return createChatModel('openai:gpt-4o-mini', config, { temperature: 0 });
}

async function collect(stream: AsyncIterable<AIMessageChunk>): Promise<AIMessageChunk[]> {
  const out: AIMessageChunk[] = [];
  for await (const c of stream) out.push(c);
  return out;
}

describe('streamChat', () => {
  it('reads the integration chunks directly (no Runnable stream) with text, finish reason and usage', async () => {
    const m = model();
    const spy = vi.spyOn(m, 'stream');
    const chunks = await collect(
      await streamChat(m, [new HumanMessage('質問')], { signal: new AbortController().signal }, false),
    );
    expect(spy).not.toHaveBeenCalled();
    expect(chunks.map((c) => c.content).join('')).toBe('日本語の答え');
    // OpenAI's finish_reason arrives in generationInfo: merged into response_metadata as stream() does.
    expect(chunks.map((c) => finishReasonOf(c.response_metadata)).filter(Boolean)).toEqual(['stop']);
    expect(chunks.some((c) => (c.usage_metadata?.output_tokens ?? 0) > 0)).toBe(true);
  });

  it('goes through model.stream() when LangChain tracing may observe the call', async () => {
    const m = model();
    const spy = vi.spyOn(m, 'stream');
    const chunks = await collect(
      await streamChat(m, [new HumanMessage('質問')], { signal: new AbortController().signal }, true),
    );
    expect(spy).toHaveBeenCalledTimes(1);
    expect(chunks.map((c) => c.content).join('')).toBe('日本語の答え');
    expect(chunks.map((c) => finishReasonOf(c.response_metadata)).filter(Boolean)).toEqual(['stop']);
  });

  it('stops with the signal between chunks', async () => {
    const ac = new AbortController();
    const stream = await streamChat(model(), [new HumanMessage('質問')], { signal: ac.signal }, false);
    const it = stream[Symbol.asyncIterator]();
    await it.next();
    ac.abort(new Error('stop now'));
    await expect(it.next()).rejects.toThrow(/stop now|abort/i);
  });
});

describe('streamChat over an integration that ignores the signal while waiting', () => {
  it('rejects the pending chunk as soon as the signal aborts', async () => {
    const stuck = {
      stream: () => Promise.reject(new Error('not used')),
      async *_streamResponseChunks() {
        yield new ChatGenerationChunk({ text: 'a', message: new AIMessageChunk('a'), generationInfo: {} });
        await new Promise(() => undefined); // never answers (no signal check)
      },
    };
    const ac = new AbortController();
    const stream = await streamChat(
      stuck as unknown as BaseChatModel,
      [new HumanMessage('x')],
      { signal: ac.signal },
      false,
    );
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.content).toBe('a');
    const pending = it.next();
    setTimeout(() => ac.abort(new Error('stalled')), 20);
    const t0 = Date.now();
    await expect(pending).rejects.toThrow('stalled');
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
