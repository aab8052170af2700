/**
 * A client that disconnects mid-run (deployed endpoint JSON and SSE, OpenAI-compatible
 * chat completions, the run API) is `cancelled` — in the deployment request log (status
 * 499), in the run record and in the server's request log line — never a failed 500, and
 * the tokens and cost spent so far are still counted.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { chatFlow, promptFlow, PROVIDER_KEY } from '../../server/deployment/testing';
import type { RequestLogEntry } from '../../shared/api/deployment';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const LONG_REPLY = 'ゆっくり 答えます。 '.repeat(200); // the fake streams one word per chunk
const lines: string[] = [];
let fake: FakeOpenAI;
let server: RunningServer;
let root: string;
let qaKey = '';
let chatKey = '';

async function api(p: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  return fetch(`${server.url}${p}`, {
    ...rest,
    ...(json !== undefined ? { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}),
  });
}

async function deploy(id: string): Promise<string> {
  const res = await api(`/api/flows/${id}/deployments`, { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

/** Send a request, read until `chunks` body chunks arrived (0 = none), then drop the connection. */
async function callAndLeave(p: string, key: string | undefined, body: unknown, chunks: number, afterMs = 0) {
  const ctrl = new AbortController();
  // A plain JSON call has nothing to read before the answer: leave after `afterMs`.
  if (chunks === 0) setTimeout(() => ctrl.abort(), afterMs);
  const res = await fetch(`${server.url}${p}`, {
    method: 'POST',
    signal: ctrl.signal,
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(chunks > 0 ? { accept: 'text/event-stream' } : {}),
    },
    body: JSON.stringify(body),
  }).catch(() => undefined);
  if (res && chunks > 0) {
    const reader = res.body!.getReader();
    for (let i = 0; i < chunks; i++) await reader.read();
  }
  if (chunks === 0) return;
  if (afterMs) await new Promise((r) => setTimeout(r, afterMs));
  ctrl.abort();
}

async function lastLog(slug: string, count: number): Promise<RequestLogEntry> {
  const end = Date.now() + 8_000;
  for (;;) {
    const res = await api(`/api/deployments/${slug}/logs?limit=10`);
    const page = (await res.json()) as { entries?: RequestLogEntry[]; items?: RequestLogEntry[] };
    const entries = page.entries ?? page.items ?? [];
    if (entries.length >= count) return entries[0]!;
    if (Date.now() > end) throw new Error(`no log entry for ${slug}: ${JSON.stringify(page).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  fake = await startFakeOpenAI({ tokenDelayMs: 50 });
  fake.setResponder(() => LONG_REPLY);
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-disconnect-'));
  fs.mkdirSync(path.join(root, 'flows'));
  for (const f of [promptFlow('qa-bot', '丁寧に答える。'), chatFlow('chatty')])
    fs.writeFileSync(path.join(root, 'flows', `${f.id}.flow.json`), JSON.stringify(f, null, 2));
  const config = loadConfig({
    PORT: '0',
    BRAID_FLOWS_DIR: path.join(root, 'flows'),
    BRAID_DATA_DIR: path.join(root, 'data'),
    OPENAI_API_KEY: PROVIDER_KEY,
    OPENAI_BASE_URL: fake.url,
    BRAID_LOG_LEVEL: 'info',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  server = await startServer(config, { logger: pino({ level: 'info' }, sink), clientDir: path.join(root, 'none') });
  qaKey = await deploy('qa-bot');
  chatKey = await deploy('chatty');
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function requestLine(p: string): Record<string, unknown> | undefined {
  return lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === 'request' && l.method === 'POST' && l.path === p)
    .at(-1);
}

describe('a client that disconnects mid-run', () => {
  it('deployed endpoint over SSE: cancelled (499), tokens so far counted', async () => {
    await callAndLeave('/v1/endpoints/qa-bot', qaKey, { inputs: { question: '長い答えを' } }, 1, 300);
    const e = await lastLog('qa-bot', 1);
    expect(e.status).toBe('cancelled');
    expect(e.httpStatus).toBe(499);
    expect(e.promptTokens).toBeGreaterThan(0);
    expect(e.completionTokens).toBeGreaterThan(0);
    expect(e.cost).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    const line = requestLine('/v1/endpoints/qa-bot');
    expect(line).toMatchObject({ status: 499, cancelled: true, level: 30 });
  });

  it('deployed endpoint, plain JSON: cancelled (499), the prompt tokens counted', async () => {
    await callAndLeave('/v1/endpoints/qa-bot', qaKey, { inputs: { question: 'JSON で' } }, 0, 300);
    const e = await lastLog('qa-bot', 2);
    expect(e.status).toBe('cancelled');
    expect(e.httpStatus).toBe(499);
    expect(e.promptTokens).toBeGreaterThan(0);
    expect(lines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it('chat completions, streaming: cancelled with usage', async () => {
    await callAndLeave(
      '/v1/chat/completions',
      chatKey,
      { model: 'chatty', stream: true, messages: [{ role: 'user', content: 'こんにちは' }] },
      1,
      300,
    );
    const e = await lastLog('chatty', 1);
    expect(e.status).toBe('cancelled');
    expect(e.httpStatus).toBe(499);
    expect(e.completionTokens).toBeGreaterThan(0);
  });

  it('run API over SSE: the run record is cancelled with its usage so far', async () => {
    await callAndLeave('/api/flows/qa-bot/runs', undefined, { inputs: { question: '実行 API' } }, 1, 300);
    const end = Date.now() + 8_000;
    let run: { status: string; trace?: { usage: { totalTokens: number; completionTokens: number } } } | undefined;
    for (;;) {
      const page = (await (await api('/api/flows/qa-bot/runs?limit=1')).json()) as {
        runs?: Array<{ runId?: string; id?: string; status: string }>;
        items?: Array<{ runId?: string; id?: string; status: string }>;
      };
      const first = (page.runs ?? page.items ?? [])[0];
      if (first && first.status !== 'running') {
        run = (await (await api(`/api/runs/${first.runId ?? first.id}`)).json()) as typeof run;
        break;
      }
      if (Date.now() > end) throw new Error(`run not finished: ${JSON.stringify(page).slice(0, 300)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(run?.status).toBe('cancelled');
    expect(run?.trace?.usage.completionTokens).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(requestLine('/api/flows/qa-bot/runs')).toMatchObject({ status: 499, cancelled: true });
  });
});
