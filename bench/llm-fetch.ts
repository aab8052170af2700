/**
 * Per-call cost of the fetch used for provider calls: Node's global fetch vs
 * server/llm/fast-fetch.ts, raw and through the OpenAI SDK, against the zero-latency
 * fake OpenAI server. Run: npx tsx bench/llm-fetch.ts [calls]
 */
import OpenAI from 'openai';
import { startFakeOpenAI } from '../test/support/fake-openai';
import { createFastFetch, type FetchFn } from '../server/llm/fast-fetch';

const N = Number(process.argv[2] ?? 2000);
const fake = await startFakeOpenAI();
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });

async function timeIt(label: string, fn: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await fn(); // warm-up
  const t: number[] = [];
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    await fn();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  const p = (q: number): string => (t[Math.floor(q * (t.length - 1))] * 1000).toFixed(0);
  console.log(
    `${label.padEnd(34)} p50 ${p(0.5)} µs  p99 ${p(0.99)} µs  mean ${((t.reduce((a, b) => a + b, 0) / N) * 1000).toFixed(0)} µs`,
  );
}

const raw = (f: FetchFn) => async () => {
  const r = await f(`${fake.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await r.json();
};
const fast = createFastFetch();
await timeIt('global fetch (raw)', raw(fetch));
await timeIt('fast-fetch (raw)', raw(fast));
const sdk = (f?: FetchFn) => {
  const c = new OpenAI({ apiKey: 'x', baseURL: fake.url, maxRetries: 0, ...(f ? { fetch: f } : {}) });
  return async () => {
    await c.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] });
  };
};
await timeIt('OpenAI SDK + global fetch', sdk());
await timeIt('OpenAI SDK + fast-fetch', sdk(fast));
const sdkStream = (f?: FetchFn) => {
  const c = new OpenAI({ apiKey: 'x', baseURL: fake.url, maxRetries: 0, ...(f ? { fetch: f } : {}) });
  return async () => {
    const s = await c.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _ of s) void _;
  };
};
await timeIt('OpenAI SDK stream + global fetch', sdkStream());
await timeIt('OpenAI SDK stream + fast-fetch', sdkStream(fast));
const { createChatModel } = await import('../server/llm/providers');
const { loadConfig } = await import('../server/config');
const config = loadConfig({ OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: fake.url });
const lc = (f?: FetchFn) => {
  const m = createChatModel('openai:gpt-4o-mini', config, { temperature: 0, ...(f ? { fetch: f } : {}) });
  return async () => {
    await m.invoke([{ role: 'user', content: 'Hello' }]);
  };
};
await timeIt('LangChain ChatOpenAI + global fetch', lc(globalThis.fetch));
await timeIt('LangChain ChatOpenAI + fast-fetch', lc());
const { promptExecutor } = await import('../server/runtime/executors/prompt');
const { promptConfig } = await import('../shared/nodes/prompt');
const { executorContext } = await import('../test/support/executor-context');
for (const stream of [false, true]) {
  const pc = promptConfig.parse({
    model: 'openai:gpt-4o-mini',
    stream,
    messages: [{ role: 'user', content: '{{question}}' }],
  });
  await timeIt(`prompt executor (stream: ${stream})`, async () => {
    await promptExecutor(executorContext('prompt', pc, { question: 'Hello' }, { config }));
  });
}
await fake.close();
