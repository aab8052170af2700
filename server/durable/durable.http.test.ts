/**
 * Durable runs through the real Express app (in-process, SQLite): async runs, human
 * approvals and forms, the task API (409 on a second decision, two concurrent decisions),
 * a map of 50 approvals decided in random order, and no repeated model call on resume.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HumanTask } from '../../shared/api/tasks';
import { startDeployServer, type DeployServer } from '../deployment/testing';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { agentApprovalFlow, approvalFlow, formFlow, itemReviewFlow, mapReviewFlow } from './fixtures';
import { upperFlow } from '../runtime/composition-fixtures';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { startServer } from '../app';
import { openStorage } from '../storage/index';
import { PG_TEST_URL, postgresReachable, servicesRequired } from '../../test/support/storage';

let s: DeployServer;
let llm: FakeOpenAI;

beforeAll(async () => {
  llm = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: llm.url,
    flows: [approvalFlow(), formFlow(), itemReviewFlow(), mapReviewFlow(), upperFlow('upper'), agentApprovalFlow()],
  });
});
afterAll(async () => {
  await s?.close();
  await llm?.close();
});
beforeEach(() => llm.reset());

type RunView = {
  status: string;
  outputs?: Record<string, unknown>;
  tasks?: HumanTask[];
  error?: { code: string; message: string };
};

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

async function startAsync(flowId: string, inputs: Record<string, unknown>): Promise<string> {
  const res = await s.api(`/api/flows/${flowId}/runs`, { method: 'POST', json: { inputs, mode: 'async' } });
  expect(res.status).toBe(202);
  const body = await json<{ runId: string; status: string }>(res);
  expect(body.status).toBe('running');
  return body.runId;
}

async function runUntil(runId: string, want: (r: RunView) => boolean, timeoutMs = 10_000): Promise<RunView> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await json<RunView>(await s.api(`/api/runs/${runId}`));
    if (want(r)) return r;
    if (Date.now() > end) throw new Error(`run ${runId} still ${r.status}: ${JSON.stringify(r).slice(0, 500)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

const waiting =
  (n = 1) =>
  (r: RunView) =>
    r.status === 'waiting' && (r.tasks?.length ?? 0) >= n;
const ended = (r: RunView) => ['succeeded', 'failed', 'cancelled'].includes(r.status);

function decide(taskId: string, body: Record<string, unknown>): Promise<Response> {
  return s.api(`/api/tasks/${taskId}`, { method: 'POST', json: body });
}

describe('a human approval in an async run', () => {
  it('answers 202, waits with its task, resumes on approval without calling the model again', async () => {
    const runId = await startAsync('approve-draft', { question: '東京の天気' });
    const w = await runUntil(runId, waiting());
    const task = w.tasks![0]!;
    expect(task).toMatchObject({
      runId,
      flowId: 'approve-draft',
      flowName: 'approve-draft',
      nodeId: 'review',
      kind: 'approval',
      status: 'pending',
      message: 'Send "Echo: 東京の天気" to 東京の天気?',
    });
    const list = await json<{ tasks: HumanTask[] }>(await s.api('/api/tasks?status=pending&runId=' + runId));
    expect(list.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(llm.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(1);

    const ok = await decide(task.id, { decision: 'approve', comment: 'よし', decidedBy: 'ana' });
    expect(ok.status).toBe(200);
    expect((await json<{ task: HumanTask }>(ok)).task).toMatchObject({ status: 'approved' });
    const done = await runUntil(runId, ended);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toEqual({ sent: 'Echo: 東京の天気', comment: 'よし', by: 'ana' });
    // The draft was replayed from the journal, not asked again.
    expect(llm.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(1);

    const again = await decide(task.id, { decision: 'reject' });
    expect(again.status).toBe(409);
    expect((await json<{ error: { code: string } }>(again)).error.code).toBe('already_decided');
  });

  it('a rejection takes the rejected branch and skips the approved one', async () => {
    const runId = await startAsync('approve-draft', { question: 'q' });
    const w = await runUntil(runId, waiting());
    expect((await decide(w.tasks![0]!.id, { decision: 'reject', comment: 'too short' })).status).toBe(200);
    const done = await runUntil(runId, ended);
    expect(done.status).toBe('succeeded');
    expect(done.outputs).toEqual({ rejected: 'Echo: q', comment: 'too short', by: 'reviewer' });
  });

  it('two reviewers deciding at once: exactly one wins, the other gets 409', async () => {
    const runId = await startAsync('approve-draft', { question: 'race' });
    const w = await runUntil(runId, waiting());
    const id = w.tasks![0]!.id;
    const results = await Promise.all([
      decide(id, { decision: 'approve', decidedBy: 'a' }),
      decide(id, { decision: 'reject', decidedBy: 'b' }),
      decide(id, { decision: 'approve', decidedBy: 'c' }),
    ]);
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409]);
    const winner = ['a', 'b', 'c'][results.findIndex((r) => r.status === 200)];
    const done = await runUntil(runId, ended);
    expect(done.outputs?.by).toBe(winner);
  });

  it('a synchronous run of a flow with a human node answers with status waiting', async () => {
    const res = await s.api('/api/flows/approve-draft/runs', { method: 'POST', json: { inputs: { question: 's' } } });
    expect(res.status).toBe(200);
    const body = await json<{ runId: string; status: string }>(res);
    expect(body.status).toBe('waiting');
    const w = await runUntil(body.runId, waiting());
    expect(w.tasks).toHaveLength(1);
  });

  it('bad decisions are refused with a path: unknown task 404, bad body 400', async () => {
    expect((await decide('nope', { decision: 'approve' })).status).toBe(404);
    const runId = await startAsync('approve-draft', { question: 'b' });
    const w = await runUntil(runId, waiting());
    const bad = await decide(w.tasks![0]!.id, { decision: 'maybe' });
    expect(bad.status).toBe(400);
    const err = (await json<{ error: { details: { issues: Array<{ path: string }> } } }>(bad)).error;
    expect(err.details.issues[0]!.path).toBe('decision');
    const badMode = await s.api('/api/flows/approve-draft/runs', {
      method: 'POST',
      json: { inputs: { question: 'x' }, mode: 'later' },
    });
    expect(badMode.status).toBe(400);
  });
});

describe('an input form', () => {
  it('checks the response against the fields schema, then passes it on', async () => {
    const runId = await startAsync('ask-amount', { item: 'りんご' });
    const w = await runUntil(runId, waiting());
    const task = w.tasks![0]!;
    expect(task).toMatchObject({ kind: 'input', message: 'How many りんご?' });
    expect(task.fields).toMatchObject({ required: ['amount'] });
    const bad = await decide(task.id, { decision: 'approve', response: { amount: 'lots' } });
    expect(bad.status).toBe(400);
    expect((await json<{ error: { code: string; message: string } }>(bad)).error).toMatchObject({
      code: 'invalid_response',
      message: expect.stringContaining('amount'),
    });
    const missing = await decide(task.id, { decision: 'approve' });
    expect(missing.status).toBe(400);
    expect((await decide(task.id, { decision: 'approve', response: { amount: 3, note: '赤' } })).status).toBe(200);
    const done = await runUntil(runId, ended);
    expect(done.outputs).toEqual({ answer: { amount: 3, note: '赤' } });
  });
});

describe('a map of 50 items, each waiting on its own approval', () => {
  it('decided in random order, some rejected: results in item order, the prompt before the map ran once', async () => {
    const items = Array.from({ length: 50 }, (_, i) => `item-${i}`);
    const runId = await startAsync('review-all', { items });
    const w = await runUntil(runId, waiting(50), 20_000);
    const tasks = w.tasks!;
    expect(tasks).toHaveLength(50);
    expect(new Set(tasks.map((t) => t.item))).toEqual(new Set(items.map((_, i) => i)));
    expect(tasks.find((t) => t.item === 7)).toMatchObject({
      nodeId: 'approve',
      nodeFlowId: 'review-item',
      path: 'each[7]/approve',
      message: 'Keep item item-7?',
    });
    const rejected = new Set([3, 10, 11, 27, 49]);
    // A fixed shuffle (deterministic), decided a few at a time.
    const order = [...tasks].sort((a, b) => ((a.item! * 37) % 50) - ((b.item! * 37) % 50));
    for (let i = 0; i < order.length; i += 5) {
      const batch = order.slice(i, i + 5);
      const res = await Promise.all(
        batch.map((t) => decide(t.id, { decision: rejected.has(t.item!) ? 'reject' : 'approve' })),
      );
      expect(res.map((r) => r.status)).toEqual(batch.map(() => 200));
    }
    const done = await runUntil(runId, ended, 30_000);
    expect(done.status).toBe('succeeded');
    expect(done.outputs?.oks).toEqual(items.map((it, i) => (rejected.has(i) ? null : it)));
    expect(llm.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(1);
    const pending = await json<{ tasks: HumanTask[] }>(await s.api(`/api/tasks?status=pending&runId=${runId}`));
    expect(pending.tasks).toEqual([]);
  }, 60_000);
});

describe('a deployed endpoint whose flow pauses', () => {
  it('answers 202 with a status URL that only the calling key can read; the outputs come at the end', async () => {
    const dep = await s.api('/api/flows/approve-draft/deployments', { method: 'POST', json: {} });
    expect(dep.status).toBe(201);
    const { slug, apiKey } = await json<{ slug: string; apiKey: string }>(dep);
    const otherRes = await s.api(`/api/deployments/${slug}/keys`, { method: 'POST', json: { label: 'other' } });
    const other = (await json<{ apiKey: string }>(otherRes)).apiKey;

    const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: 'ship it' } });
    expect(call.status).toBe(202);
    const accepted = await json<{ runId: string; status: string; statusUrl: string }>(call);
    expect(accepted).toMatchObject({ status: 'waiting' });
    expect(accepted.statusUrl).toBe(`${s.url}/v1/endpoints/${slug}/runs/${accepted.runId}`);

    const poll = (key: string) => fetch(accepted.statusUrl, { headers: { authorization: `Bearer ${key}` } });
    const first = await poll(apiKey);
    expect(first.status).toBe(200);
    expect(await json<Record<string, unknown>>(first)).toMatchObject({ status: 'waiting', pendingTasks: 1 });
    expect((await poll(other)).status).toBe(404);
    expect((await fetch(accepted.statusUrl)).status).toBe(401);

    const tasks = await json<{ tasks: HumanTask[] }>(await s.api(`/api/tasks?status=pending&runId=${accepted.runId}`));
    expect((await decide(tasks.tasks[0]!.id, { decision: 'approve' })).status).toBe(200);
    const end = Date.now() + 10_000;
    let last: Record<string, unknown> = {};
    while (Date.now() < end) {
      last = await json<Record<string, unknown>>(await poll(apiKey));
      if (last.status === 'succeeded') break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(last).toMatchObject({
      status: 'succeeded',
      outputs: { sent: 'Echo: ship it', by: 'reviewer', comment: '' },
    });
  });
});

describe('on PostgreSQL, two API processes', () => {
  it('a run paused on one is decided on the other, which resumes it', async () => {
    if (!(await postgresReachable())) {
      if (servicesRequired()) throw new Error('PostgreSQL is required (BRAID_REQUIRE_SERVICES=1)');
      return;
    }
    const schema = `braid_durable_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const pg = { dataDir: '/nonexistent', databaseUrl: PG_TEST_URL };
    const storeA = await openStorage(pg, { pgSchema: schema });
    const storeB = await openStorage(pg, { pgSchema: schema });
    const config = { ...s.config, port: 0 };
    const a = await startServer(config, { storage: storeA });
    const b = await startServer(config, { storage: storeB });
    try {
      const started = await fetch(`${a.url}/api/flows/approve-draft/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { question: 'pg' }, mode: 'async' }),
      });
      expect(started.status).toBe(202);
      const { runId } = await json<{ runId: string }>(started);
      const get = async (url: string) => json<RunView>(await fetch(`${url}/api/runs/${runId}`));
      let view = await get(a.url);
      for (let i = 0; i < 200 && view.status !== 'waiting'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        view = await get(a.url);
      }
      expect(view.status).toBe('waiting');
      // Process B sees the task (it never ran this run) and decides it.
      const list = await json<{ tasks: HumanTask[] }>(await fetch(`${b.url}/api/tasks?status=pending&runId=${runId}`));
      expect(list.tasks).toHaveLength(1);
      const decided = await fetch(`${b.url}/api/tasks/${list.tasks[0]!.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', decidedBy: 'b' }),
      });
      expect(decided.status).toBe(200);
      // A second decision on A is refused: the state is shared.
      const twice = await fetch(`${a.url}/api/tasks/${list.tasks[0]!.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'reject' }),
      });
      expect(twice.status).toBe(409);
      for (let i = 0; i < 400 && view.status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 25));
        view = await get(a.url);
      }
      expect(view).toMatchObject({ status: 'succeeded', outputs: { sent: 'Echo: pg', by: 'b' } });
      expect(llm.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(1);
    } finally {
      await a.close();
      await b.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(storeA.db);
      await storeA.close();
      await storeB.close();
    }
  }, 30_000);
});

describe('an agent tool that needs approval', () => {
  it('waits before each call; an approval with edited arguments runs it, a rejection goes back to the model', async () => {
    llm.enqueue(
      {
        toolCalls: [
          { id: 'call_a', name: 'shout', arguments: { text: 'first' } },
          { id: 'call_b', name: 'shout', arguments: { text: 'second' } },
        ],
      },
      { reply: 'すべて完了' },
    );
    const runId = await startAsync('agent-approve', { question: 'shout twice' });
    const w = await runUntil(runId, waiting(2));
    const byArg = new Map(w.tasks!.map((t) => [(t.tool?.arguments as { text: string }).text, t]));
    expect(byArg.get('first')).toMatchObject({
      kind: 'tool',
      nodeId: 'agent',
      tool: { name: 'shout', toolKind: 'flow' },
    });
    // Edited arguments are checked against the tool's schema.
    const bad = await decide(byArg.get('first')!.id, { decision: 'approve', response: { txt: 1 } });
    expect(bad.status).toBe(400);
    expect((await decide(byArg.get('first')!.id, { decision: 'approve', response: { text: 'edited' } })).status).toBe(
      200,
    );
    await runUntil(runId, (r) => r.status === 'waiting' && r.tasks?.length === 1);
    expect((await decide(byArg.get('second')!.id, { decision: 'reject', comment: 'not that one' })).status).toBe(200);
    const done = await runUntil(runId, ended);
    expect(done.status).toBe('succeeded');
    expect(done.outputs?.text).toBe('すべて完了');
    const chats = llm.calls.filter((c) => c.path === '/v1/chat/completions');
    expect(chats).toHaveLength(2); // the first turn was replayed on each resume, never asked again
    const toolMessages = (
      chats[1]!.body as { messages: Array<{ role: string; content: string; tool_call_id?: string }> }
    ).messages.filter((m) => m.role === 'tool');
    expect(toolMessages.find((m) => m.tool_call_id === 'call_a')?.content).toContain('edited!');
    expect(toolMessages.find((m) => m.tool_call_id === 'call_b')?.content).toContain(
      'a person did not approve this call: not that one',
    );
    const steps = done.outputs?.steps as Array<{ id: string; arguments: unknown; error?: { code: string } }>;
    expect(steps.find((st) => st.id === 'call_a')?.arguments).toEqual({ text: 'edited' });
    expect(steps.find((st) => st.id === 'call_b')?.error?.code).toBe('rejected_by_reviewer');
  });
});
