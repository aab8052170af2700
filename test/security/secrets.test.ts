/**
 * Secrets never leave: with OPENAI_API_KEY / ANTHROPIC_API_KEY / BRAID_ADMIN_TOKEN set,
 * flows fail in ways that put the keys in front of the server (a provider that echoes the
 * key in its error body, in a reply, in embeddings errors; an http tool whose Authorization
 * header is templated from an input that carries a key), and every surface is searched:
 * HTTP responses, SSE, stored runs, deployment responses and request logs, /metrics,
 * evaluation results and exports, knowledge-base jobs, the server log and the CLI.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config';
import { startServer, type RunningServer } from '../../server/app';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { EXAMPLES_DIR, readSse } from '../http/harness';

const OPENAI_KEY = 'sk-test-SECRET-openai-4f1c9a77d2e84b1b';
const ANTHROPIC_KEY = 'sk-ant-SECRET-anthropic-0e5d3c2b1a';
const ADMIN = 'admin-SECRET-token-9b8a7c6d5e4f';
/** Substrings that must appear nowhere (a key cut in half still leaks its middle). */
const NEEDLES = ['SECRET-openai', '4f1c9a77d2e84b1b', 'SECRET-anthropic', '0e5d3c2b1a', 'SECRET-token', '9b8a7c6d5e4f'];

function leaks(text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n));
}

const leakyHttpFlow = (echoUrl: string) => ({
  schemaVersion: 1,
  id: 'leaky-http',
  name: 'Leaky http',
  inputs: [{ name: 'token', type: 'string', required: true }],
  outputs: [{ name: 'body', type: 'json' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'call',
      type: 'tool',
      position: { x: 200, y: 0 },
      config: {
        kind: 'http',
        method: 'POST',
        url: `${echoUrl}/echo?key={{token}}`,
        headers: { Authorization: 'Bearer {{token}}', 'X-Api-Key': '{{token}}' },
        body: '{"token":"{{token}}"}',
        responseType: 'text',
        timeoutMs: 5000,
      },
    },
    { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'token', target: 'call', targetPort: 'token' },
    { source: 'call', sourcePort: 'body', target: 'outputs', targetPort: 'body' },
  ],
});

describe('secrets never leave', () => {
  let fake: FakeOpenAI;
  let echo: http.Server;
  let server: RunningServer;
  let root: string;
  let logText = '';
  const seen: string[] = [];

  const api = async (p: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> => {
    const { json, headers, ...rest } = init;
    return fetch(`${server.url}${p}`, {
      ...rest,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(headers as Record<string, string> | undefined),
      },
      ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
    });
  };
  /** Fetch, record the full text (headers + body) and return it. */
  const grab = async (what: string, p: string, init: RequestInit & { json?: unknown } = {}): Promise<string> => {
    const res = await api(p, init);
    const text = `${what}\n${JSON.stringify([...res.headers])}\n${await res.text()}`;
    seen.push(text);
    return text;
  };

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    echo = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': String(req.headers.authorization) });
        res.end(
          `denied: url=${req.url} auth=${req.headers.authorization} key=${req.headers['x-api-key']} body=${body}`,
        );
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-sec-'));
    const flowsDir = path.join(root, 'flows');
    fs.mkdirSync(flowsDir);
    for (const f of ['qa.flow.json']) fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(flowsDir, f));
    fs.writeFileSync(path.join(flowsDir, 'leaky-http.flow.json'), JSON.stringify(leakyHttpFlow(echoUrl), null, 2));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      BRAID_FLOWS_DIR: flowsDir,
      BRAID_DATA_DIR: path.join(root, 'data'),
      BRAID_LOG_LEVEL: 'trace',
      BRAID_NODE_TIMEOUT_MS: '10000',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_API_KEY: ANTHROPIC_KEY,
      BRAID_ADMIN_TOKEN: ADMIN,
      BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1',
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        logText += chunk.toString();
        cb();
      },
    });
    const logger = pino({ level: 'trace', base: { service: 'braid' } }, sink);
    server = await startServer(config, { logger, clientDir: path.join(root, 'no-client') });
  });

  afterAll(async () => {
    await server?.close();
    await fake?.close();
    await new Promise<void>((r) => echo.close(() => r()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  const echoKey = (status: number) => ({
    status,
    message: `Incorrect API key provided: ${OPENAI_KEY}. Auth was Bearer ${OPENAI_KEY}`,
  });

  it('builder runs: provider errors and replies that echo the key (JSON, SSE, stored run, history)', async () => {
    const runIds: string[] = [];
    for (const status of [401, 400, 404]) {
      fake.enqueue(echoKey(status));
      const text = await grab(`run ${status}`, '/api/flows/qa/runs', {
        method: 'POST',
        json: { inputs: { question: 'q' } },
      });
      runIds.push((JSON.parse(text.split('\n').slice(2).join('\n')) as { runId: string }).runId);
    }
    for (let i = 0; i < 6; i++) fake.enqueue(echoKey(500));
    await grab('run 500', '/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'q' } } });
    fake.enqueue(echoKey(401));
    const sse = await api('/api/flows/qa/runs', {
      method: 'POST',
      json: { inputs: { question: 'q' } },
      headers: { accept: 'text/event-stream' },
    });
    seen.push(`sse 401\n${JSON.stringify(await readSse(sse))}`);
    // a provider that puts the key in the reply itself (non-streaming and streaming)
    fake.enqueue({ reply: `your key is ${OPENAI_KEY} and ${ANTHROPIC_KEY}` });
    await grab('reply', '/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'q' } } });
    for (const id of runIds) await grab(`stored ${id}`, `/api/runs/${id}`);
    await grab('history', '/api/flows/qa/runs?limit=50');
    expect(seen.join('\n')).toContain('provider_auth');
  });

  it('http tool with credentials templated from an input carrying a configured key', async () => {
    const text = await grab('http tool', '/api/flows/leaky-http/runs', {
      method: 'POST',
      json: { inputs: { token: OPENAI_KEY } },
    });
    expect(text).toContain('denied'); // the echo answered: the test is not vacuous
    const runId = (JSON.parse(text.split('\n').slice(2).join('\n')) as { runId: string }).runId;
    await grab('http tool stored', `/api/runs/${runId}`);
    const sse = await api('/api/flows/leaky-http/runs', {
      method: 'POST',
      json: { inputs: { token: ANTHROPIC_KEY } },
      headers: { accept: 'text/event-stream' },
    });
    seen.push(`http tool sse\n${JSON.stringify(await readSse(sse))}`);
  });

  it('deployed endpoint, OpenAI-compatible API, request logs, stats and /metrics', async () => {
    const dep = await api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'sec-qa' } });
    expect(dep.status).toBe(201);
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const call = (p: string, json: unknown, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify(json),
      });
    fake.enqueue(echoKey(401));
    seen.push(`endpoint\n${await (await call('/v1/endpoints/sec-qa', { inputs: { question: 'q' } })).text()}`);
    fake.enqueue(echoKey(401));
    seen.push(
      `endpoint sse\n${await (await call('/v1/endpoints/sec-qa', { inputs: { question: 'q' }, stream: true })).text()}`,
    );
    fake.enqueue(echoKey(401));
    seen.push(
      `chat\n${await (await call('/v1/chat/completions', { model: 'sec-qa', messages: [{ role: 'user', content: 'q' }] })).text()}`,
    );
    fake.enqueue(echoKey(401));
    seen.push(
      `chat stream\n${await (await call('/v1/chat/completions', { model: 'sec-qa', stream: true, messages: [{ role: 'user', content: 'q' }] })).text()}`,
    );
    fake.enqueue({ reply: `key ${OPENAI_KEY}` });
    seen.push(
      `chat reply\n${await (await call('/v1/chat/completions', { model: 'sec-qa', messages: [{ role: 'user', content: 'q' }] })).text()}`,
    );
    // request log writes are batched: wait for them
    let items: Array<{ traceId: string }> = [];
    for (let i = 0; i < 100 && items.length < 5; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const logs = await grab('deployment logs', '/api/deployments/sec-qa/logs?limit=100');
      items = (JSON.parse(logs.split('\n').slice(2).join('\n')) as { items: Array<{ traceId: string }> }).items;
    }
    expect(items.length).toBeGreaterThanOrEqual(4);
    for (const it of items) await grab(`log ${it.traceId}`, `/api/deployments/sec-qa/logs/${it.traceId}`);
    await grab('stats', '/api/deployments/sec-qa/stats');
    await grab('deployment', '/api/deployments/sec-qa');
    await grab('metrics', '/metrics');
  });

  it('evaluations (judge and embedding metrics failing with the key) and their exports', async () => {
    const up = await api('/api/datasets?name=sec&filename=sec.csv', {
      method: 'POST',
      body: 'question,answer\nq1,a1\nq2,a2\n',
      headers: { 'content-type': 'text/csv' },
    });
    expect(up.status).toBe(201);
    const dsId = ((await up.json()) as { dataset: { id: string } }).dataset.id;
    fake.setResponder((body) => {
      const last = JSON.stringify(body.messages ?? []);
      return last.includes('q1') ? 'fine' : `the key is ${OPENAI_KEY}`;
    });
    for (let i = 0; i < 40; i++) fake.enqueue(echoKey(401));
    const ev = await api('/api/evaluations', {
      method: 'POST',
      json: {
        flowId: 'qa',
        datasetId: dsId,
        config: {
          mapping: { question: 'question' },
          expected: 'answer',
          metrics: ['exact_match', { type: 'embedding_cosine' }],
          concurrency: 1,
        },
      },
    });
    const evText = await ev.text();
    expect(ev.status, evText).toBe(201);
    const id = (JSON.parse(evText) as { evaluation: { id: string } }).evaluation.id;
    const events = await api(`/api/evaluations/${id}/events?rows=1`, { headers: { accept: 'text/event-stream' } });
    seen.push(`eval events\n${JSON.stringify(await readSse(events))}`);
    await grab('eval', `/api/evaluations/${id}`);
    await grab('eval results', `/api/evaluations/${id}/results`);
    await grab('eval row', `/api/evaluations/${id}/results/0`);
    await grab('eval export jsonl', `/api/evaluations/${id}/export?format=jsonl`);
    await grab('eval export csv', `/api/evaluations/${id}/export?format=csv`);
    fake.setResponder(undefined);
    fake.reset();
  });

  it('knowledge bases: an embedding provider that echoes the key', async () => {
    const kb = await api('/api/knowledge-bases', {
      method: 'POST',
      json: { name: 'seckb', embedding: 'openai:text-embedding-3-small' },
    });
    expect(kb.status).toBe(201);
    for (let i = 0; i < 10; i++) fake.enqueue(echoKey(401));
    const form = new FormData();
    form.append('files', new Blob(['Braid is a flow builder.\n\nIt runs flows.'], { type: 'text/plain' }), 'a.txt');
    const up = await api('/api/knowledge-bases/seckb/documents', { method: 'POST', body: form });
    const upText = await up.text();
    seen.push(`kb upload\n${upText}`);
    expect(up.status, upText).toBe(202);
    const deadline = Date.now() + 10_000;
    let jobs = '';
    while (Date.now() < deadline) {
      jobs = await grab('kb jobs', '/api/knowledge-bases/seckb/jobs');
      if (/"status":"(failed|completed|done|succeeded|partial)"/.test(jobs)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(jobs).toMatch(/embedding/i);
    for (let i = 0; i < 10; i++) fake.enqueue(echoKey(401));
    await grab('kb query', '/api/knowledge-bases/seckb/query', {
      method: 'POST',
      json: { query: 'braid', mode: 'vector' },
    });
    await grab('kb docs', '/api/knowledge-bases/seckb/documents');
    fake.reset();
  });

  it('the CLI prints no key when the provider echoes it', async () => {
    fake.reset();
    // the fake answers every chat call with 401 + the key while the responder throws
    fake.setResponder(() => {
      throw Object.assign(new Error('x'), {});
    });
    for (let i = 0; i < 10; i++) fake.enqueue(echoKey(401));
    const bin = path.join(EXAMPLES_DIR, '..', 'bin', 'braid.js');
    const out = await new Promise<string>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'run', path.join(EXAMPLES_DIR, 'qa.flow.json'), '--input', 'question=q', '--json'],
        {
          cwd: root,
          env: {
            ...process.env,
            BRAID_DATA_DIR: path.join(root, 'cli-data'),
            BRAID_LOG_LEVEL: 'silent',
            OPENAI_BASE_URL: fake.url,
            OPENAI_API_KEY: OPENAI_KEY,
            ANTHROPIC_API_KEY: ANTHROPIC_KEY,
          },
          timeout: 60_000,
        },
        (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    seen.push(`cli\n${out}`);
    expect(out).toMatch(/provider_auth|rejected the credentials/);
    fake.setResponder(undefined);
  });

  it('streamed replies: a key split across tokens never comes out joined (builder SSE, endpoint SSE, chat stream)', async () => {
    fake.reset();
    const dep = await api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'sec-stream' } });
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const reply = `start ${OPENAI_KEY} middle ${ANTHROPIC_KEY}`;
    const joined: Record<string, string> = {};
    fake.enqueue({ reply });
    const sse = await api('/api/flows/qa/runs', {
      method: 'POST',
      json: { inputs: { question: 'q' } },
      headers: { accept: 'text/event-stream' },
    });
    const frames = await readSse(sse);
    joined.builder = frames
      .filter((f) => f.event === 'token')
      .map((f) => (f.data as { token: string }).token)
      .join('');
    expect(frames.filter((f) => f.event === 'token').length).toBeGreaterThan(3);
    const call = (p: string, json: unknown) =>
      fetch(`${server.url}${p}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(json),
      });
    fake.enqueue({ reply });
    const ep = await call('/v1/endpoints/sec-stream', { inputs: { question: 'q' }, stream: true });
    joined.endpoint = [...(await ep.text()).matchAll(/^data: (.*)$/gm)]
      .map((m) => (JSON.parse(m[1] ?? '{}') as { token?: string }).token ?? '')
      .join('');
    fake.enqueue({ reply });
    const chat = await call('/v1/chat/completions', {
      model: 'sec-stream',
      stream: true,
      messages: [{ role: 'user', content: 'q' }],
    });
    joined.chat = [...(await chat.text()).matchAll(/^data: (\{.*)$/gm)]
      .map(
        (m) =>
          (JSON.parse(m[1] ?? '{}') as { choices?: Array<{ delta?: { content?: string } }> }).choices?.[0]?.delta
            ?.content ?? '',
      )
      .join('');
    for (const [where, text] of Object.entries(joined)) {
      seen.push(`stream ${where}\n${text}`);
      expect(text, where).toContain('start');
      expect(text, where).toContain('[redacted]');
    }
  });

  it('no surface and no log line carries a key', () => {
    const found: string[] = [];
    for (const s of seen) {
      const hits = leaks(s);
      if (hits.length) found.push(`${s.split('\n')[0]}: ${hits.join(', ')} in ${s.slice(0, 4000)}`);
    }
    const logHits = leaks(logText);
    if (logHits.length) {
      const lines = logText.split('\n').filter((l) => leaks(l).length > 0);
      found.push(`server log: ${lines.slice(0, 3).join('\n')}`);
    }
    expect(found).toEqual([]);
    expect(seen.length).toBeGreaterThan(20);
    expect(logText).toContain('"msg":"request"');
  });
});
