/**
 * Durable runs across a real process death (`braid serve` child processes, SIGKILL):
 * - a run waiting on an approval survives the kill; the decision, made on the restarted
 *   server, completes it with no repeated model or HTTP call;
 * - a task whose deadline passed while Braid was down takes its onTimeout path on restart;
 * - an async run killed while running (a model call in flight) is resumed from its last
 *   completed node by the restarted server (only the node in flight runs twice).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import type { HumanTask } from '../../shared/api/tasks';
import { makeFlow, node } from '../../server/runtime/composition-fixtures';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { killAllServers, spawnServer, type SpawnedServer } from '../support/spawn-server';

type Server = SpawnedServer;

const serve = (dir: string, env: Record<string, string>): Promise<Server> =>
  spawnServer({
    dir,
    env: { BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1', BRAID_RUN_LEASE_MS: '1000', BRAID_DURABLE_SWEEP_MS: '200', ...env },
  });

async function api<T>(s: Server, p: string, json?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${s.url}${p}`, {
    method: json === undefined ? 'GET' : 'POST',
    ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

type RunView = { status: string; outputs?: Record<string, unknown>; tasks?: HumanTask[]; error?: unknown };

async function runUntil(s: Server, runId: string, want: (r: RunView) => boolean, timeoutMs = 15_000): Promise<RunView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api<RunView>(s, `/api/runs/${runId}`);
    if (want(body)) return body;
    if (Date.now() > end)
      throw new Error(`run ${runId}: ${JSON.stringify(body).slice(0, 400)}\n${s.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let dir: string;
let llm: FakeOpenAI;
let target: http.Server;
let targetUrl: string;
let httpCalls = 0;

/** draft (model) → lookup (HTTP) → review (approval) → final (model after the decision). */
function reviewFlow(): Flow {
  return makeFlow(
    'reviewed',
    [{ name: 'question', type: 'string', required: true }],
    [{ name: 'final', type: 'string' }],
    [
      node('draft', 'prompt', { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: '{{question}}' }] }),
      node('lookup', 'tool', { kind: 'http', method: 'GET', url: `${targetUrl}/lookup?q={{q}}` }),
      node('review', 'human', { kind: 'approval', message: 'OK? {{data}}' }),
      node('final', 'prompt', {
        model: 'openai:gpt-4o-mini',
        messages: [{ role: 'user', content: 'final {{text}}{{#gate}}{{/gate}}' }],
      }),
    ],
    [
      ['inputs', 'question', 'draft', 'question'],
      ['draft', 'text', 'lookup', 'q'],
      ['lookup', 'body', 'review', 'data'],
      ['draft', 'text', 'final', 'text'],
      ['review', 'approved', 'final', 'gate'],
      ['final', 'text', 'outputs', 'final'],
    ],
  );
}

/** A 1.5 s approval that approves itself when nobody decides. */
function timeoutFlow(): Flow {
  return makeFlow(
    'self-approving',
    [{ name: 'x', type: 'string', required: true }],
    [
      { name: 'ok', type: 'any' },
      { name: 'by', type: 'string' },
    ],
    [node('wait', 'human', { kind: 'approval', message: 'x={{data}}', timeoutMs: 1500, onTimeout: 'approve' })],
    [
      ['inputs', 'x', 'wait', 'data'],
      ['wait', 'approved', 'outputs', 'ok'],
      ['wait', 'decidedBy', 'outputs', 'by'],
    ],
  );
}

/** lookup (HTTP) → slow (model) → out: no person involved; async mode makes it durable. */
function slowFlow(): Flow {
  return makeFlow(
    'slow',
    [{ name: 'q', type: 'string', required: true }],
    [{ name: 'out', type: 'string' }],
    [
      node('lookup', 'tool', { kind: 'http', method: 'GET', url: `${targetUrl}/lookup?q={{q}}` }),
      node('slow', 'prompt', { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: 'slow {{b}}' }] }),
    ],
    [
      ['inputs', 'q', 'lookup', 'q'],
      ['lookup', 'body', 'slow', 'b'],
      ['slow', 'text', 'outputs', 'out'],
    ],
  );
}

beforeAll(async () => {
  llm = await startFakeOpenAI();
  target = http.createServer((req, res) => {
    httpCalls++;
    res.setHeader('content-type', 'text/plain');
    res.end(`looked up ${decodeURIComponent((req.url ?? '').split('q=')[1] ?? '')}`);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-durable-'));
  fs.mkdirSync(path.join(dir, 'flows'));
  for (const f of [reviewFlow(), timeoutFlow(), slowFlow()])
    fs.writeFileSync(path.join(dir, 'flows', `${f.id}.flow.json`), JSON.stringify(f, null, 2));
});

afterAll(async () => {
  killAllServers();
  await llm?.close();
  await new Promise((r) => target?.close(r));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const chatCalls = (): number => llm.calls.filter((c) => c.path === '/v1/chat/completions').length;

describe('durable runs survive SIGKILL', () => {
  it('waiting, timed-out and in-flight runs all complete on the restarted server', async () => {
    const env = { OPENAI_BASE_URL: llm.url, OPENAI_API_KEY: 'sk-fake-0123456789' };
    const a = await serve(dir, env);

    // 1. A run that waits on an approval.
    const r1 = await api<{ runId: string }>(a, '/api/flows/reviewed/runs', {
      inputs: { question: 'こんにちは' },
      mode: 'async',
    });
    expect(r1.status).toBe(202);
    const w1 = await runUntil(a, r1.body.runId, (r) => r.status === 'waiting' && r.tasks?.length === 1);
    expect(w1.tasks![0]!.message).toBe('OK? looked up Echo: こんにちは');
    expect(chatCalls()).toBe(1);
    expect(httpCalls).toBe(1);

    // 2. A run whose task will be overdue while the server is down.
    const r2 = await api<{ runId: string }>(a, '/api/flows/self-approving/runs', { inputs: { x: 'y' }, mode: 'async' });
    await runUntil(a, r2.body.runId, (r) => r.status === 'waiting');

    // 3. A run killed mid-flight: its model call hangs until the kill.
    llm.enqueue({ hang: true });
    const r3 = await api<{ runId: string }>(a, '/api/flows/slow/runs', { inputs: { q: 'z' }, mode: 'async' });
    const until = Date.now() + 10_000;
    while (chatCalls() < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(chatCalls()).toBe(2);
    expect(httpCalls).toBe(2);
    // The journal writes a finished node's step in the background (batched on the next
    // turn of the event loop, server/durable/journal.ts), so the model call can start a few
    // ms before the lookup's step is on disk: give that write time to land before the kill.
    await new Promise((r) => setTimeout(r, 500));

    await a.kill();
    await new Promise((r) => setTimeout(r, 1600)); // past the 1.5 s deadline and the 1 s lease

    const b = await serve(dir, env);
    // 2. The overdue task took its onTimeout path at start-up.
    const d2 = await runUntil(b, r2.body.runId, (r) => r.status === 'succeeded');
    expect(d2.outputs).toEqual({ ok: 'y', by: 'timeout' });
    // 3. Resumed from its completed HTTP call: only the model call in flight ran again.
    const d3 = await runUntil(b, r3.body.runId, (r) => r.status === 'succeeded');
    expect(d3.outputs).toEqual({ out: 'Echo: slow looked up z' });
    expect(httpCalls).toBe(2);
    expect(chatCalls()).toBe(3);

    // 1. Still waiting after the restart; the decision completes it without repeating a step.
    const w1b = await runUntil(b, r1.body.runId, (r) => r.status === 'waiting');
    const decided = await api<{ runStatus: string }>(b, `/api/tasks/${w1b.tasks![0]!.id}`, { decision: 'approve' });
    expect(decided.status).toBe(200);
    const d1 = await runUntil(b, r1.body.runId, (r) => r.status === 'succeeded');
    expect(d1.outputs).toEqual({ final: 'Echo: final Echo: こんにちは' });
    expect(chatCalls()).toBe(4); // draft once before the kill, final once after the decision
    expect(httpCalls).toBe(2); // the lookup never ran again
    await b.stop();
  }, 120_000);
});
