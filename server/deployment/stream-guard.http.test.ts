/**
 * Issue 9, items 4, 5 and 7 through the real app: a public stream never spells out text a
 * validator blocks, never sends text twice, a keep-alive-only stream hits the stall
 * deadline, and every model call is bounded by max_tokens (node default, deployment cap,
 * caller's lower cap).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI, type ChatRequest } from '../../test/support/fake-openai';
import { readSse } from '../../test/http/harness';
import type { Flow, Trace } from '../../shared';
import type { DeployResult } from '../../shared/api/deployment';
import { promptFlow, startDeployServer, type DeployServer } from './testing';

const SECRET = '機密プラン-X42';
let fake: FakeOpenAI;
let s: DeployServer;
const keys: Record<string, string> = {};

/** question → prompt → validator (not_contains SECRET, onFail) → answer. */
function guardedFlow(id: string, onFail: 'error' | 'reask'): Flow {
  const f = promptFlow(id, 'Answer.');
  f.nodes.splice(2, 0, {
    id: 'guard',
    type: 'validator',
    position: { x: 450, y: 0 },
    config: { rules: [{ kind: 'not_contains', value: SECRET }], onFail, maxReasks: 1 },
  });
  f.edges = [
    { source: 'inputs', sourcePort: 'question', target: 'answer', targetPort: 'question' },
    { source: 'answer', sourcePort: 'text', target: 'guard', targetPort: 'value' },
    { source: 'guard', sourcePort: 'value', target: 'outputs', targetPort: 'answer' },
  ];
  return f;
}

function truncatingFlow(): Flow {
  const f = promptFlow('strict-len', 'Answer.');
  (f.nodes[1]!.config as Record<string, unknown>).maxTokens = 3;
  (f.nodes[1]!.config as Record<string, unknown>).onTruncated = 'fail';
  return f;
}

async function deploy(flowId: string): Promise<string> {
  const res = await s.api(`/api/flows/${flowId}/deployments`, { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  return ((await res.json()) as DeployResult).apiKey as string;
}

function client(apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${s.url}/v1`, maxRetries: 0, timeout: 10_000 });
}

function chatCalls(): ChatRequest[] {
  return fake.calls.filter((c) => c.path === '/v1/chat/completions').map((c) => c.body as ChatRequest);
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: fake.url,
    env: { BRAID_STREAM_STALL_MS: '300' },
    flows: [
      guardedFlow('guarded', 'error'),
      guardedFlow('reasker', 'reask'),
      promptFlow('plain', 'Be brief.'),
      truncatingFlow(),
    ],
  });
  for (const id of ['guarded', 'reasker', 'plain', 'strict-len']) keys[id] = await deploy(id);
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('a public stream never delivers text a validator blocks', () => {
  it('endpoint SSE: no token spells the blocked text, and the error does not quote it', async () => {
    fake.reset();
    fake.enqueue({ reply: `The plan is ${SECRET} tonight` });
    const res = await s.call('/v1/endpoints/guarded', keys.guarded, { inputs: { question: 'plan?' }, stream: true });
    const frames = await readSse(res);
    const raw = JSON.stringify(frames);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('機密');
    expect(frames.filter((f) => f.event === 'token')).toEqual([]);
    const err = frames.at(-1);
    expect(err?.event).toBe('error');
    const body = err?.data as { error: { code: string; message: string; details: { traceId: string } } };
    expect(body.error.code).toBe('run_failed');
    expect(body.error.message).toContain('did not pass validation');
    // The operator's trace keeps the detail.
    const logs = await s.api(`/api/deployments/guarded/logs/${body.error.details.traceId}`);
    expect(await logs.text()).toContain(SECRET);
  });

  it('endpoint JSON: the 500 does not quote the blocked text either', async () => {
    fake.reset();
    fake.enqueue({ reply: `The plan is ${SECRET}` });
    const res = await s.call('/v1/endpoints/guarded', keys.guarded, { inputs: { question: 'plan?' } });
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain(SECRET);
  });

  it('chat completions stream: no delta and no error quotes the blocked text, even after re-asks', async () => {
    fake.reset();
    fake.enqueue({ reply: `First: ${SECRET}` }, { reply: `Again: ${SECRET}` });
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.reasker}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'reasker', stream: true, messages: [{ role: 'user', content: 'plan?' }] }),
    });
    const text = await res.text();
    expect(chatCalls()).toHaveLength(2); // asked, re-asked once
    expect(text).not.toContain(SECRET);
    expect(text).toContain('did not pass validation');
  });

  it('a validated answer arrives whole when final, and an unguarded one still streams token by token', async () => {
    fake.reset();
    fake.enqueue({ reply: 'ただの普通の答えです。安全な内容' });
    const stream = await client(keys.guarded).chat.completions.create({
      model: 'guarded',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const deltas: string[] = [];
    for await (const c of stream) if (c.choices[0]?.delta.content) deltas.push(c.choices[0].delta.content);
    expect(deltas).toEqual(['ただの普通の答えです。安全な内容']);

    const plain = await client(keys.plain).chat.completions.create({
      model: 'plain',
      stream: true,
      messages: [{ role: 'user', content: 'stream this please' }],
    });
    const parts: string[] = [];
    for await (const c of plain) if (c.choices[0]?.delta.content) parts.push(c.choices[0].delta.content);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.join('')).toBe('Echo: stream this please');
  });
});

describe('streams and retries', () => {
  it('a stream cut after tokens went out is not retried: no text is sent twice', async () => {
    fake.reset();
    fake.enqueue({ cutStream: true }); // a retry would get the whole reply: "Echo: HelEcho: Hello world end"
    const res = await s.call('/v1/endpoints/plain', keys.plain, {
      inputs: { question: 'Hello world end' },
      stream: true,
    });
    const frames = await readSse(res);
    const streamed = frames
      .filter((f) => f.event === 'token')
      .map((f) => (f.data as { token: string }).token)
      .join('');
    expect(streamed.length).toBeGreaterThan(0);
    expect('Echo: Hello world end'.startsWith(streamed)).toBe(true);
    expect(frames.at(-1)?.event).toBe('error');
    expect(chatCalls()).toHaveLength(1);
  });

  it('a stream that fails before any token is retried, and the caller sees one clean answer', async () => {
    fake.reset();
    fake.enqueue({ status: 500 });
    const res = await s.call('/v1/endpoints/plain', keys.plain, { inputs: { question: 'again' }, stream: true });
    const frames = await readSse(res);
    const streamed = frames
      .filter((f) => f.event === 'token')
      .map((f) => (f.data as { token: string }).token)
      .join('');
    expect(streamed).toBe('Echo: again');
    expect(frames.at(-1)?.event).toBe('result');
    expect(chatCalls()).toHaveLength(2);
  });

  it('a stream that sends only keep-alive comments hits the stall deadline, not the node timeout', async () => {
    fake.reset();
    fake.enqueue({ keepAliveOnly: true, everyMs: 50 });
    const t0 = Date.now();
    const res = await s.call('/v1/endpoints/plain', keys.plain, { inputs: { question: 'quiet' } });
    const body = (await res.json()) as { outputs: { answer: string }; traceId: string };
    expect(res.status).toBe(200);
    expect(body.outputs.answer).toBe('Echo: quiet');
    expect(Date.now() - t0).toBeLessThan(5_000); // stall 300 ms; the node timeout is 10 s
    const log = (await (await s.api(`/api/deployments/plain/logs/${body.traceId}`)).json()) as { trace: Trace };
    const span = log.trace.spans.find((x) => x.nodeId === 'answer');
    expect((span?.meta?.retries as Array<{ code: string }>)[0]?.code).toBe('stream_stalled');
  });
});

describe('every model call is bounded by max_tokens', () => {
  it('sends the node default, lowered by the deployment cap and by the caller, never raised', async () => {
    fake.reset();
    await (await s.call('/v1/endpoints/plain', keys.plain, { inputs: { question: 'a' } })).arrayBuffer();
    expect(chatCalls()[0]?.max_tokens).toBe(4096);

    const patch = await s.api('/api/deployments/plain', { method: 'PATCH', json: { settings: { maxTokens: 50 } } });
    expect(patch.status).toBe(200);
    fake.reset();
    await (await s.call('/v1/endpoints/plain', keys.plain, { inputs: { question: 'b' } })).arrayBuffer();
    await client(keys.plain).chat.completions.create({
      model: 'plain',
      max_tokens: 7,
      messages: [{ role: 'user', content: 'c' }],
    });
    await client(keys.plain).chat.completions.create({
      model: 'plain',
      max_tokens: 100_000,
      messages: [{ role: 'user', content: 'd' }],
    });
    expect(chatCalls().map((c) => c.max_tokens)).toEqual([50, 7, 50]);

    const bad = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.plain}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'plain', max_tokens: -1, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('invalid_max_tokens');
  });

  it('a reply cut at max_tokens is finish_reason length and a warning on the span', async () => {
    fake.reset();
    const c = await client(keys.plain).chat.completions.create({
      model: 'plain',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'a long question that needs many tokens to echo back' }],
    });
    expect(c.choices[0]?.finish_reason).toBe('length');
    const id = (c as unknown as { braid: { traceId: string } }).braid.traceId;
    const log = (await (await s.api(`/api/deployments/plain/logs/${id}`)).json()) as { trace: Trace };
    const span = log.trace.spans.find((x) => x.nodeId === 'answer');
    expect(span?.meta?.truncated).toBe(true);
    expect(String((span?.meta?.warnings as string[])[0])).toContain('maxTokens');
  });

  it('onTruncated: "fail" makes a cut reply a failure', async () => {
    fake.reset();
    const res = await s.call('/v1/endpoints/strict-len', keys['strict-len'], {
      inputs: { question: 'a question long enough to be cut' },
    });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { details: { cause: string } } };
    expect(body.error.details.cause).toBe('output_truncated');
  });
});
