/**
 * Issue 9 item 17: LangChain traces to LangSmith by itself when LANGSMITH_TRACING (or
 * LANGCHAIN_TRACING_V2…) is set, sending prompts and outputs out unredacted. Braid turns
 * that off unless BRAID_LANGSMITH_TRACING=1. A fake LangSmith on loopback counts what
 * arrives. The control case (setting on) proves the fake would see the traces.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startHarness } from '../http/harness';

let fake: FakeOpenAI;
let smith: http.Server;
const received: string[] = [];
const saved: Record<string, string | undefined> = {};
const VARS = ['LANGSMITH_TRACING', 'LANGCHAIN_TRACING_V2', 'LANGSMITH_ENDPOINT', 'LANGSMITH_API_KEY'];

beforeAll(async () => {
  fake = await startFakeOpenAI();
  smith = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(`${req.method} ${req.url} ${body.slice(0, 2000)}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => smith.listen(0, '127.0.0.1', r));
  for (const v of VARS) saved[v] = process.env[v];
});
afterAll(async () => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  await new Promise<void>((r) => smith.close(() => r()));
  await fake?.close();
});

function traceEnv(): void {
  process.env.LANGSMITH_TRACING = 'true';
  process.env.LANGCHAIN_TRACING_V2 = 'true';
  process.env.LANGSMITH_ENDPOINT = `http://127.0.0.1:${(smith.address() as AddressInfo).port}`;
  process.env.LANGSMITH_API_KEY = 'lsv2_test_key_not_real';
}

async function runQa(env: Record<string, string>, question: string): Promise<void> {
  const h = await startHarness({ openaiUrl: fake.url, env });
  try {
    const res = await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question } } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('succeeded');
  } finally {
    await h.close();
  }
}

const settle = () => new Promise((r) => setTimeout(r, 2500));

describe('tracing to third parties', () => {
  it('sends nothing to LangSmith when only LANGSMITH_TRACING asks for it', async () => {
    traceEnv();
    await runQa({}, '社外秘の質問です');
    await settle();
    expect(received).toEqual([]);
    expect(process.env.LANGSMITH_TRACING).toBe('false');
    expect(process.env.LANGCHAIN_TRACING_V2).toBe('false');
  });

  it('traces to LangSmith with BRAID_LANGSMITH_TRACING=1 (the fake sees a run)', async () => {
    traceEnv();
    await runQa({ BRAID_LANGSMITH_TRACING: '1' }, 'トレースしてよい質問');
    await expect.poll(() => received.join('\n'), { timeout: 10_000 }).toContain('トレースしてよい質問');
  });
});
