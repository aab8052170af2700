import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { spawn } from 'node:child_process';
import path from 'node:path';
import OpenAI from 'openai';
import { startFakeOpenAI, type FakeOpenAI } from './fake-openai';

let fake: FakeOpenAI;
beforeAll(async () => {
  fake = await startFakeOpenAI({ embeddingDims: 16 });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => fake.reset());

const post = (p: string, body: unknown): Promise<Response> =>
  fetch(`${fake.url}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('fake OpenAI server', () => {
  it('answers chat completions with an echo and plausible usage', async () => {
    const res = await post('/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(res.status).toBe(200);
    const json = (await res.json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
      usage: Record<string, number>;
    };
    expect(json.choices[0].message.content).toBe('Echo: Hello there');
    expect(json.choices[0].finish_reason).toBe('stop');
    // "Hello there" is 2 tokens in o200k; 3 per message + 3 priming.
    expect(json.usage.prompt_tokens).toBe(8);
    expect(json.usage.completion_tokens).toBeGreaterThanOrEqual(3);
    expect(json.usage.total_tokens).toBe(json.usage.prompt_tokens + json.usage.completion_tokens);
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].path).toBe('/v1/chat/completions');
  });

  it('streams through the official SDK with a usage chunk', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 });
    fake.setResponder(() => 'one two three four');
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: { completion_tokens: number } | null | undefined;
    let finish: string | null = null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe('one two three four');
    expect(finish).toBe('stop');
    expect(usage?.completion_tokens).toBe(4);
  });

  it('honours stop and max_tokens', async () => {
    fake.setResponder(() => 'alpha beta gamma delta');
    const a = (await (
      await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], stop: [' gamma'] })
    ).json()) as {
      choices: Array<{ message: { content: string } }>;
    };
    expect(a.choices[0].message.content).toBe('alpha beta');
    const b = (await (
      await post('/chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 2 })
    ).json()) as {
      choices: Array<{ message: { content: string }; finish_reason: string }>;
    };
    expect(b.choices[0].finish_reason).toBe('length');
    expect(b.choices[0].message.content).toBe('alpha beta');
  });

  it('returns deterministic embeddings (float and base64) and lists models', async () => {
    const client = new OpenAI({ apiKey: 'test', baseURL: fake.url, maxRetries: 0 });
    const a = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['cat', 'dog'] }); // SDK asks for base64
    const b = await post('/embeddings', { model: 'text-embedding-3-small', input: 'cat' });
    const bj = (await b.json()) as { data: Array<{ embedding: number[] }> };
    expect(a.data).toHaveLength(2);
    expect(a.data[0].embedding).toHaveLength(16);
    expect(bj.data[0].embedding).toHaveLength(16);
    bj.data[0].embedding.forEach((v, i) => expect(v).toBeCloseTo(a.data[0].embedding[i], 5));
    expect(a.data[0].embedding).not.toEqual(a.data[1].embedding);
    const norm = Math.hypot(...bj.data[0].embedding);
    expect(norm).toBeCloseTo(1, 5);
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('gpt-4o-mini');
  });

  it('plays queued behaviours in order: 429 with Retry-After, 500, 401 with quota code, then normal', async () => {
    fake.enqueue({ status: 429, retryAfter: 1 }, { status: 500 }, { status: 429, code: 'insufficient_quota' });
    const body = { model: 'm', messages: [{ role: 'user', content: 'x' }] };
    const r1 = await post('/chat/completions', body);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('1');
    expect(((await r1.json()) as { error: { code: string } }).error.code).toBe('rate_limit_exceeded');
    expect((await post('/chat/completions', body)).status).toBe(500);
    const r3 = await post('/chat/completions', body);
    expect(((await r3.json()) as { error: { code: string } }).error.code).toBe('insufficient_quota');
    expect((await post('/chat/completions', body)).status).toBe(200);
  });

  it('cuts a stream mid-way and stalls after the first token', async () => {
    fake.setResponder(() => 'a b c d e f');
    fake.enqueue({ cutStream: true });
    const res = await post('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    await expect(res.text()).rejects.toThrow();

    fake.enqueue({ stallAfterFirstToken: true });
    const ctl = new AbortController();
    const res2 = await post('/chat/completions', {
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    const reader = res2.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('"role":"assistant"');
    const timer = setTimeout(() => ctl.abort(), 200);
    const next = await Promise.race([
      (async () => {
        let seen = '';
        for (;;) {
          const r = await reader.read();
          if (r.done) return 'done';
          seen += new TextDecoder().decode(r.value);
          if (seen.includes('[DONE]')) return 'done';
        }
      })(),
      new Promise((resolve) => ctl.signal.addEventListener('abort', () => resolve('stalled'))),
    ]);
    clearTimeout(timer);
    expect(next).toBe('stalled');
    await reader.cancel();
  });

  it('hangs when asked and close() still returns', async () => {
    const other = await startFakeOpenAI();
    other.enqueue({ hang: true });
    const pending = fetch(`${other.url}/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    expect(other.calls).toHaveLength(1);
    await other.close();
    expect(await pending).toBeInstanceOf(Error);
  });

  it('rejects a wrong key when apiKey is set', async () => {
    const other = await startFakeOpenAI({ apiKey: 'sk-right' });
    const res = await fetch(`${other.url}/models`, { headers: { authorization: 'Bearer sk-wrong' } });
    expect(res.status).toBe(401);
    await other.close();
  });

  it('runs as a CLI and prints its URL', async () => {
    const script = path.resolve(__dirname, 'fake-openai.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      const res = await fetch(`${url}/models`);
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
