import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { promptConfig, type PromptConfig } from '../../../shared/nodes/prompt';
import { NodeError } from '../types';
import { createPromptExecutor, promptExecutor, useOpenAIJsonMode } from './prompt';
import { startFakeOpenAI, countTokens, type FakeOpenAI, type ChatRequest } from '../../../test/support/fake-openai';
import { executorContext } from '../../../test/support/executor-context';
import { countChatTokens } from '../../llm/tokens';

const KEY = 'sk-test-secret-key-0123456789';
let fake: FakeOpenAI;
let env: Record<string, string>;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: fake.url };
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

function cfg(c: Partial<PromptConfig> = {}): PromptConfig {
  return promptConfig.parse({
    model: 'openai:gpt-4o-mini',
    messages: [{ role: 'user', content: '{{question}}' }],
    stream: false,
    ...c,
  });
}

async function failure(p: Promise<unknown>): Promise<NodeError> {
  const err = await p.then(
    () => {
      throw new Error('expected the node to fail');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeError);
  return err as NodeError;
}

const lastBody = (): ChatRequest => fake.calls[fake.calls.length - 1].body as ChatRequest;

describe('prompt executor against a fake OpenAI server', () => {
  it('answers without streaming and records provider usage, cost and meta', async () => {
    const ctx = executorContext(
      'prompt',
      cfg({ temperature: 0.3, maxTokens: 50 }),
      { question: 'What is Braid?' },
      { env },
    );
    const res = await promptExecutor(ctx);
    expect(res.outputs).toEqual({ text: 'Echo: What is Braid?' });
    const body = lastBody();
    expect(body.model).toBe('gpt-4o-mini');
    expect(body.temperature).toBe(0.3);
    expect(body.max_tokens).toBe(50);
    expect(body.messages).toEqual([{ role: 'user', content: 'What is Braid?' }]);
    expect(fake.calls[0].headers.authorization).toBe(`Bearer ${KEY}`);
    const prompt = 3 + 3 + countTokens('What is Braid?');
    const completion = countTokens('Echo: What is Braid?');
    expect(ctx.usage).toEqual([
      {
        model: 'openai:gpt-4o-mini',
        usage: { promptTokens: prompt, completionTokens: completion, totalTokens: prompt + completion },
        cost: expect.any(Number),
      },
    ]);
    expect(ctx.usage[0].cost).toBeCloseTo((prompt * 0.15 + completion * 0.6) / 1e6, 12);
    expect(ctx.meta).toMatchObject({ model: 'openai:gpt-4o-mini', finishReason: 'stop' });
    expect(ctx.meta.usageEstimated).toBeUndefined();
    expect(ctx.tokens).toEqual([]);
  });

  it('streams tokens and takes usage from the stream', async () => {
    fake.setResponder(() => 'Braid is a visual LLM flow builder.');
    const ctx = executorContext('prompt', cfg({ stream: true }), { question: 'What is Braid?' }, { env });
    const res = await promptExecutor(ctx);
    expect(res.outputs.text).toBe('Braid is a visual LLM flow builder.');
    expect(ctx.tokens.length).toBeGreaterThan(3);
    expect(ctx.tokens.join('')).toBe(res.outputs.text);
    expect(lastBody().stream).toBe(true);
    expect(lastBody().stream_options).toEqual({ include_usage: true });
    expect(ctx.usage[0].usage.completionTokens).toBe(countTokens('Braid is a visual LLM flow builder.'));
    expect(ctx.meta.finishReason).toBe('stop');
    expect(ctx.meta.usageEstimated).toBeUndefined();
  });

  it('counts tokens offline when the server reports no usage', async () => {
    fake.setOmitUsage(true);
    for (const stream of [false, true]) {
      const ctx = executorContext('prompt', cfg({ stream }), { question: 'Count me please' }, { env });
      const res = await promptExecutor(ctx);
      expect(ctx.meta.usageEstimated).toBe(true);
      const prompt = await countChatTokens([{ role: 'user', content: 'Count me please' }], 'openai:gpt-4o-mini');
      expect(ctx.usage[0].usage).toEqual({
        promptTokens: prompt,
        completionTokens: countTokens(res.outputs.text as string),
        totalTokens: prompt + countTokens(res.outputs.text as string),
      });
    }
  });

  it('classifies 429 as retryable with the Retry-After delay (seconds, ms header, HTTP date)', async () => {
    for (const stream of [false, true]) {
      fake.enqueue({ status: 429, retryAfter: 2 });
      const e1 = await failure(promptExecutor(executorContext('prompt', cfg({ stream }), { question: 'x' }, { env })));
      expect(e1.code).toBe('rate_limited');
      expect(e1.retryable).toBe(true);
      expect(e1.retryAfterMs).toBe(2000);
    }
    fake.enqueue({ status: 429, retryAfterMs: 1500 });
    const e2 = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env })));
    expect(e2.retryAfterMs).toBe(1500);
    fake.enqueue({ status: 429, retryAfter: new Date(Date.now() + 5000).toUTCString() });
    const e3 = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env })));
    expect(e3.retryAfterMs).toBeGreaterThan(3000);
    expect(e3.retryAfterMs).toBeLessThanOrEqual(5000);
    expect(fake.calls).toHaveLength(4); // no SDK-level retries
  });

  it('classifies 500 as retryable, 401 and insufficient_quota as final, without leaking the key', async () => {
    fake.enqueue({ status: 500 });
    const e500 = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env })));
    expect(e500).toMatchObject({ code: 'provider_error', retryable: true });
    fake.enqueue({ status: 401, message: `Incorrect API key provided: ${KEY}.` });
    const e401 = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env })));
    expect(e401).toMatchObject({ code: 'provider_auth', retryable: false });
    expect(e401.message).not.toContain(KEY);
    expect(e401.message).not.toContain('sk-test');
    fake.enqueue({ status: 429, code: 'insufficient_quota' });
    const eq = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env })));
    expect(eq).toMatchObject({ code: 'quota_exceeded', retryable: false });
    expect(fake.calls).toHaveLength(3);
  });

  it('a hanging server is cut off by the node signal', async () => {
    fake.enqueue({ hang: true });
    const ac = new AbortController();
    const t0 = Date.now();
    setTimeout(() => ac.abort(new Error('node timeout')), 200);
    const err = await failure(
      promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env, signal: ac.signal })),
    );
    expect(err.code).toBe('cancelled');
    expect(Date.now() - t0).toBeLessThan(2000);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.calls[0].clientClosed).toBe(true); // the HTTP request itself was aborted
  });

  it('cancelling mid-stream aborts the HTTP request and fails the node', async () => {
    fake.setResponder(() => 'a b c d e f g h i j k l m n o p');
    fake.setTokenDelay(50);
    const ac = new AbortController();
    const ctx = executorContext('prompt', cfg({ stream: true }), { question: 'x' }, { env, signal: ac.signal });
    const pending = failure(promptExecutor(ctx));
    await new Promise((r) => setTimeout(r, 180));
    ac.abort(new Error('client went away'));
    const err = await pending;
    expect(err.code).toBe('cancelled');
    expect(ctx.tokens.length).toBeGreaterThan(0);
    expect(ctx.tokens.length).toBeLessThan(16);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.calls[0].clientClosed).toBe(true);
  });

  it('a stream that stalls after the first token fails as retryable stream_stalled', async () => {
    fake.setResponder(() => 'one two three four five');
    fake.enqueue({ stallAfterFirstToken: true });
    const exec = createPromptExecutor({ stallTimeoutMs: 300 });
    const ctx = executorContext('prompt', cfg({ stream: true }), { question: 'x' }, { env });
    // the deadline also comes from BRAID_STREAM_STALL_MS
    fake.enqueue({ stallAfterFirstToken: true });
    const t1 = Date.now();
    const viaEnv = await failure(
      promptExecutor(
        executorContext(
          'prompt',
          cfg({ stream: true }),
          { question: 'x' },
          { env: { ...env, BRAID_STREAM_STALL_MS: '250' } },
        ),
      ),
    );
    expect(viaEnv.code).toBe('stream_stalled');
    expect(Date.now() - t1).toBeLessThan(3000);
    const t0 = Date.now();
    const err = await failure(exec(ctx));
    expect(err).toMatchObject({ code: 'stream_stalled', retryable: true });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ctx.tokens.join('')).toBe('one ');
    expect(ctx.usage).toEqual([]);
  });

  it('a cut stream fails the node (never a partial success), streaming or not', async () => {
    fake.setResponder(() => 'alpha beta gamma delta epsilon');
    for (const stream of [true, false]) {
      fake.enqueue({ cutStream: true });
      const ctx = executorContext('prompt', cfg({ stream }), { question: 'x' }, { env });
      const err = await failure(promptExecutor(ctx));
      expect(err.retryable).toBe(true);
      expect(err.code).toBe('stream_interrupted');
      expect(err.message).toMatch(/cut mid-response/);
      expect(ctx.usage).toEqual([]);
    }
  });

  it('a stream that ends early without a finish reason fails as stream_incomplete', async () => {
    fake.setResponder(() => 'alpha beta gamma delta epsilon');
    fake.enqueue({ truncateStream: true });
    const ctx = executorContext('prompt', cfg({ stream: true }), { question: 'x' }, { env });
    const err = await failure(promptExecutor(ctx));
    expect(err).toMatchObject({ code: 'stream_incomplete', retryable: true });
    expect(ctx.tokens.join('')).toBe('alpha beta ');
  });

  it('parses JSON output (fenced) and checks it against the schema', async () => {
    const schema = {
      type: 'object',
      required: ['answer', 'score'],
      properties: { answer: { type: 'string' }, score: { type: 'number' } },
    };
    fake.setResponder(() => '```json\n{"answer": "yes", "score": 0.9}\n```');
    const ok = await promptExecutor(
      executorContext('prompt', cfg({ output: 'json', jsonSchema: schema }), { question: 'x' }, { env }),
    );
    expect(ok.outputs.json).toEqual({ answer: 'yes', score: 0.9 });
    expect(ok.outputs.text).toContain('"answer"');

    fake.setResponder(() => ({ json: { answer: 42 } }));
    const bad = await failure(
      promptExecutor(
        executorContext('prompt', cfg({ output: 'json', jsonSchema: schema }), { question: 'x' }, { env }),
      ),
    );
    expect(bad.code).toBe('json_schema_mismatch');
    expect(bad.message).toContain('/answer: must be string');
    expect(bad.message).toContain("must have required property 'score'");

    fake.setResponder(() => 'Sure! Here you go: {"answer": "yes"');
    const invalid = await failure(
      promptExecutor(executorContext('prompt', cfg({ output: 'json' }), { question: 'x' }, { env })),
    );
    expect(invalid).toMatchObject({ code: 'invalid_json', retryable: false });
  });

  it('uses OpenAI JSON mode only on api.openai.com and when a message mentions JSON', () => {
    const turns = [{ role: 'user' as const, content: 'Reply in JSON.' }];
    const json = cfg({ output: 'json' });
    expect(useOpenAIJsonMode(json, turns, undefined)).toBe(true);
    expect(useOpenAIJsonMode(json, turns, 'https://api.openai.com/v1')).toBe(true);
    expect(useOpenAIJsonMode(json, turns, 'http://127.0.0.1:1234/v1')).toBe(false);
    expect(useOpenAIJsonMode(json, [{ role: 'user', content: 'hi' }], undefined)).toBe(false);
    expect(useOpenAIJsonMode(cfg(), turns, undefined)).toBe(false);
    expect(
      useOpenAIJsonMode(cfg({ output: 'json', model: 'anthropic:claude-3-5-haiku-latest' }), turns, undefined),
    ).toBe(false);
  });

  it('sends response_format json_object when JSON mode applies', async () => {
    // api.openai.com's host name is routed to the fake by a fetch that rewrites the origin
    const rewrite = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
      fetch(String(input).replace('https://api.openai.com/v1', fake.url), init);
    const exec = createPromptExecutor({ modelSettings: { fetch: rewrite } });
    fake.setResponder(() => ({ json: { ok: true } }));
    const ctx = executorContext(
      'prompt',
      cfg({ output: 'json', messages: [{ role: 'user', content: 'Answer {{question}} as JSON' }] }),
      { question: 'q' },
      {
        env: { OPENAI_API_KEY: KEY },
      },
    );
    const res = await exec(ctx);
    expect(res.outputs.json).toEqual({ ok: true });
    expect(lastBody().response_format).toEqual({ type: 'json_object' });
    expect(ctx.meta.jsonMode).toBe(true);
    await promptExecutor(executorContext('prompt', cfg({ output: 'json' }), { question: 'json please' }, { env }));
    expect(lastBody().response_format).toBeUndefined(); // custom base URL: no JSON mode
  });

  it('inserts history messages and validates them', async () => {
    const c = cfg({
      messages: [
        { role: 'system', content: 'Be brief about {{topic}}.' },
        { role: 'history', variable: 'chat' },
        { role: 'user', content: '{{question}}' },
      ],
    });
    const chat = [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ];
    await promptExecutor(executorContext('prompt', c, { topic: 'flows', question: 'And now?', chat }, { env }));
    expect(lastBody().messages).toEqual([
      { role: 'system', content: 'Be brief about flows.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'And now?' },
    ]);
    const err = await failure(
      promptExecutor(
        executorContext('prompt', c, { topic: 't', question: 'q', chat: [{ role: 'wizard', content: 'x' }] }, { env }),
      ),
    );
    expect(err).toMatchObject({ code: 'invalid_input', path: 'inputs.chat[0].role' });
    const err2 = await failure(
      promptExecutor(executorContext('prompt', c, { topic: 't', question: 'q', chat: 'not a list' }, { env })),
    );
    expect(err2.code).toBe('invalid_input');
  });

  it('re-asks with the previous reply and the feedback appended', async () => {
    const ctx = executorContext(
      'prompt',
      cfg(),
      { question: 'Q' },
      {
        env,
        feedback: { attempt: 1, previousOutputs: { text: 'bad answer' }, message: 'Your answer must mention Braid.' },
      },
    );
    await promptExecutor(ctx);
    expect(lastBody().messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'bad answer' },
      { role: 'user', content: 'Your answer must mention Braid.' },
    ]);
    expect(ctx.meta.reaskAttempt).toBe(1);
  });

  it('passes stop sequences and reports a length finish', async () => {
    fake.setResponder(() => 'one two three four five six');
    const ctx = executorContext('prompt', cfg({ stop: [' four'] }), { question: 'x' }, { env });
    const res = await promptExecutor(ctx);
    expect(lastBody().stop).toEqual([' four']);
    expect(res.outputs.text).toBe('one two three');
    const ctx2 = executorContext('prompt', cfg({ maxTokens: 2, stream: true }), { question: 'x' }, { env });
    await promptExecutor(ctx2);
    expect(ctx2.meta.finishReason).toBe('length');
  });

  it('leaves temperature and stop out for OpenAI reasoning models', async () => {
    const ctx = executorContext(
      'prompt',
      cfg({ model: 'openai:o3-mini', temperature: 0, stop: ['x'], maxTokens: 100 }),
      { question: 'q' },
      { env },
    );
    await promptExecutor(ctx);
    const body = lastBody();
    expect(body.model).toBe('o3-mini');
    expect('temperature' in body).toBe(false);
    expect('stop' in body).toBe(false);
    expect(body.max_completion_tokens).toBe(100);
    expect(ctx.meta.ignoredSettings).toEqual(['temperature', 'stop']);
  });

  it('names the env vars to set when a provider is not configured', async () => {
    const e1 = await failure(promptExecutor(executorContext('prompt', cfg(), { question: 'x' }, { env: {} })));
    expect(e1.code).toBe('provider_not_configured');
    expect(e1.message).toContain('OPENAI_API_KEY');
    expect(e1.message).toContain('OPENAI_BASE_URL');
    const e2 = await failure(
      promptExecutor(
        executorContext('prompt', cfg({ model: 'anthropic:claude-3-5-haiku-latest' }), { question: 'x' }, { env: {} }),
      ),
    );
    expect(e2.code).toBe('provider_not_configured');
    expect(e2.message).toContain('ANTHROPIC_API_KEY');
    expect(fake.calls).toHaveLength(0);
  });

  it('works against a base URL with no key (local OpenAI-compatible server)', async () => {
    const res = await promptExecutor(
      executorContext('prompt', cfg(), { question: 'local' }, { env: { OPENAI_BASE_URL: fake.url } }),
    );
    expect(res.outputs.text).toBe('Echo: local');
    expect(fake.calls[0].headers.authorization).toBe('Bearer braid-no-key');
  });

  it('reports an unreachable Ollama with the env var to check', async () => {
    const err = await failure(
      promptExecutor(
        executorContext(
          'prompt',
          cfg({ model: 'ollama:llama3.2' }),
          { question: 'x' },
          { env: { OLLAMA_BASE_URL: 'http://127.0.0.1:1' } },
        ),
      ),
    );
    expect(err).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(err.message).toContain('OLLAMA_BASE_URL');
  });
});
