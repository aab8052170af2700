/**
 * Deployed runs that pause, seen by their caller: the completion webhook (signed, retried,
 * durable across a restart, its state on the status URL), the request log row (waiting,
 * then the outcome), and the SSE call that ends with a `waiting` event.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { HumanTask } from '../../shared/api/tasks';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { startServer, type RunningServer } from '../app';
import { openStorage } from '../storage/index';
import { PG_TEST_URL, postgresReachable, servicesRequired } from '../../test/support/storage';
import { promptFlow, startDeployServer, type DeployServer } from '../deployment/testing';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { readSse, waitFor } from '../../test/http/harness';
import { approvalFlow } from './fixtures';
import { signBody, verifySignature } from './webhooks';
import { webhookUrlProblem } from '../../shared/api/deployment';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
}

/** A webhook receiver on 127.0.0.1 answering the statuses queued (then 200). */
async function startReceiver(): Promise<{
  url: string;
  got: Received[];
  answer: number[];
  close(): Promise<void>;
}> {
  const got: Received[] = [];
  const answer: number[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (raw += c));
    req.on('end', () => {
      got.push({ headers: req.headers, raw, body: JSON.parse(raw) as Record<string, unknown> });
      res.statusCode = answer.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook?x=1`,
    got,
    answer,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

describe('signatures and webhook URLs (pure)', () => {
  it('signs the body with HMAC-SHA256 and verifies it in constant time', () => {
    // Known answer: echo -n '{"a":1}' | openssl dgst -sha256 -hmac whsec_test
    expect(signBody('whsec_test', '{"a":1}')).toBe(
      'sha256=51426af50a41dd7ff2cd3f116594734766d4018d15d6fb07169aee5d2959adf5',
    );
    expect(verifySignature('whsec_test', '{"a":1}', signBody('whsec_test', '{"a":1}'))).toBe(true);
    expect(verifySignature('whsec_test', '{"a":2}', signBody('whsec_test', '{"a":1}'))).toBe(false);
    expect(verifySignature('other', '{"a":1}', signBody('whsec_test', '{"a":1}'))).toBe(false);
    expect(verifySignature('whsec_test', '{"a":1}', undefined)).toBe(false);
    expect(verifySignature('whsec_test', '{"a":1}', 'sha256=00')).toBe(false);
  });

  it('accepts http(s) URLs only, without credentials', () => {
    expect(webhookUrlProblem('https://example.com/hook')).toBeUndefined();
    expect(webhookUrlProblem('http://例え.jp/フック')).toBeUndefined();
    expect(webhookUrlProblem('ftp://example.com/')).toMatch(/http/);
    expect(webhookUrlProblem('not a url')).toMatch(/http/);
    expect(webhookUrlProblem(42)).toMatch(/http/);
    expect(webhookUrlProblem('https://user:pw@example.com/')).toMatch(/credentials/);
    expect(webhookUrlProblem(`https://example.com/${'a'.repeat(2100)}`)).toMatch(/2048/);
  });
});

let s: DeployServer;
let llm: FakeOpenAI;
let slug: string;
let apiKey: string;

beforeAll(async () => {
  llm = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: llm.url,
    flows: [approvalFlow(), promptFlow('plain', 'Be brief')],
    env: { BRAID_WEBHOOK_RETRY_MS: '40', BRAID_DURABLE_SWEEP_MS: '100' },
  });
  const dep = await s.api('/api/flows/approve-draft/deployments', { method: 'POST', json: {} });
  expect(dep.status).toBe(201);
  ({ slug, apiKey } = await json<{ slug: string; apiKey: string }>(dep));
});
afterAll(async () => {
  await s?.close();
  await llm?.close();
});

async function pendingTask(runId: string): Promise<HumanTask> {
  return waitFor(async () => {
    const list = await json<{ tasks: HumanTask[] }>(await s.api(`/api/tasks?status=pending&runId=${runId}`));
    return list.tasks[0];
  });
}

async function status(url: string, key = apiKey): Promise<Record<string, unknown>> {
  return json<Record<string, unknown>>(await fetch(url, { headers: { authorization: `Bearer ${key}` } }));
}

describe('the completion webhook of a deployed run that paused', () => {
  it('is POSTed when the run ends, signed with the deployment secret, retried after a failure', async () => {
    const receiver = await startReceiver();
    try {
      receiver.answer.push(500); // the first attempt fails; the retry succeeds
      const secretRes = await s.api(`/api/deployments/${slug}/webhook-secret`);
      expect(secretRes.status).toBe(200);
      const { secret } = await json<{ secret: string }>(secretRes);
      expect(secret).toMatch(/^whsec_[0-9a-f]{48}$/);
      // The secret is stable until rotated.
      expect((await json<{ secret: string }>(await s.api(`/api/deployments/${slug}/webhook-secret`))).secret).toBe(
        secret,
      );

      const call = await s.call(`/v1/endpoints/${slug}`, apiKey, {
        inputs: { question: '請求書を送る' },
        webhook: receiver.url,
      });
      expect(call.status).toBe(202);
      const accepted = await json<{ runId: string; statusUrl: string }>(call);
      // Nothing is posted while the run waits.
      expect(receiver.got).toHaveLength(0);
      expect(await status(accepted.statusUrl)).not.toHaveProperty('webhook');

      const task = await pendingTask(accepted.runId);
      expect((await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } })).status).toBe(
        200,
      );
      await waitFor(async () => (receiver.got.length >= 2 ? true : undefined), 10_000);
      const [first, second] = receiver.got;
      expect(second!.raw).toBe(first!.raw); // the same body, retried
      expect(first!.headers['x-braid-attempt']).toBe('1');
      expect(second!.headers['x-braid-attempt']).toBe('2');
      expect(second!.headers['x-braid-delivery']).toBe(accepted.runId);
      expect(second!.headers['content-type']).toBe('application/json');
      expect(verifySignature(secret, second!.raw, second!.headers['x-braid-signature'] as string)).toBe(true);
      expect(
        verifySignature(
          secret,
          second!.raw.replace('succeeded', 'failed'),
          second!.headers['x-braid-signature'] as string,
        ),
      ).toBe(false);
      expect(second!.body).toMatchObject({
        event: 'run.finished',
        runId: accepted.runId,
        status: 'succeeded',
        slug,
        version: 1,
        statusUrl: accepted.statusUrl,
        outputs: { sent: 'Echo: 請求書を送る', by: 'reviewer' },
      });
      const view = await waitFor(async () => {
        const v = await status(accepted.statusUrl);
        return (v.webhook as { status?: string } | undefined)?.status === 'delivered' ? v : undefined;
      });
      expect(view.webhook).toMatchObject({
        url: receiver.url,
        status: 'delivered',
        attempts: 2,
        lastStatus: 200,
        deliveredAt: expect.any(Number),
      });
      expect(receiver.got).toHaveLength(2); // delivered once, never again

      // A rotated secret signs the next deliveries; the old one no longer verifies them.
      const rotated = await json<{ secret: string }>(
        await s.api(`/api/deployments/${slug}/webhook-secret`, { method: 'POST', json: {} }),
      );
      expect(rotated.secret).not.toBe(secret);
      const call2 = await s.call(`/v1/endpoints/${slug}`, apiKey, {
        inputs: { question: 'q2' },
        webhook: receiver.url,
      });
      const run2 = await json<{ runId: string }>(call2);
      const task2 = await pendingTask(run2.runId);
      await s.api(`/api/tasks/${task2.id}`, { method: 'POST', json: { decision: 'reject', comment: 'いいえ' } });
      await waitFor(async () => (receiver.got.length >= 3 ? true : undefined), 10_000);
      const third = receiver.got[2]!;
      expect(third.body).toMatchObject({ runId: run2.runId, status: 'succeeded', outputs: { rejected: 'Echo: q2' } });
      expect(verifySignature(rotated.secret, third.raw, third.headers['x-braid-signature'] as string)).toBe(true);
      expect(verifySignature(secret, third.raw, third.headers['x-braid-signature'] as string)).toBe(false);
    } finally {
      await receiver.close();
    }
  });

  it('reports a cancelled run; a webhook refused by the network policy fails at once, without retries', async () => {
    const receiver = await startReceiver();
    try {
      const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: 'c' }, webhook: receiver.url });
      const { runId, statusUrl } = await json<{ runId: string; statusUrl: string }>(call);
      await pendingTask(runId);
      expect((await s.api(`/api/runs/${runId}/cancel`, { method: 'POST' })).status).toBe(202);
      await waitFor(async () => (receiver.got.length >= 1 ? true : undefined), 10_000);
      expect(receiver.got[0]!.body).toMatchObject({
        runId,
        status: 'cancelled',
        error: { code: 'cancelled' },
      });
      expect(receiver.got[0]!.body).not.toHaveProperty('outputs');
      expect(await status(statusUrl)).toMatchObject({ status: 'cancelled', webhook: { status: 'delivered' } });
    } finally {
      await receiver.close();
    }

    // 10.0.0.1 is private and not allow-listed: refused before any connection.
    const blocked = await s.call(`/v1/endpoints/${slug}`, apiKey, {
      inputs: { question: 'b' },
      webhook: 'http://10.0.0.1:9/hook',
    });
    const b = await json<{ runId: string; statusUrl: string }>(blocked);
    const task = await pendingTask(b.runId);
    await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
    const view = await waitFor(async () => {
      const v = await status(b.statusUrl);
      return (v.webhook as { status?: string } | undefined)?.status === 'failed' ? v : undefined;
    });
    expect(view).toMatchObject({
      status: 'succeeded',
      webhook: { status: 'failed', attempts: 1, lastError: expect.stringContaining('refused') },
    });
  });

  it('refuses a bad webhook URL with a 400 naming the field, whether or not the flow can pause', async () => {
    const dep = await s.api('/api/flows/plain/deployments', { method: 'POST', json: {} });
    const plainKey = (await json<{ apiKey: string }>(dep)).apiKey;
    for (const [target, key] of [
      [slug, apiKey],
      ['plain', plainKey],
    ] as const)
      for (const webhook of ['ftp://example.com/', 'nope', 7, 'https://u:p@example.com/']) {
        const res = await s.call(`/v1/endpoints/${target}`, key, { inputs: { question: 'x' }, webhook });
        expect(res.status).toBe(400);
        const err = (await json<{ error: { code: string; details: { issues: Array<{ path: string }> } } }>(res)).error;
        expect(err.code).toBe('invalid_body');
        expect(err.details.issues[0]!.path).toBe('webhook');
      }
    // A good one on a flow that cannot pause: answered in the call, no webhook.
    const ok = await s.call('/v1/endpoints/plain', plainKey, {
      inputs: { question: 'すぐ' },
      webhook: 'https://hooks.example.com/x',
    });
    expect(ok.status).toBe(200);
  });
});

describe('the deployment setting webhookUrl', () => {
  it('is checked when set, and posts for calls that give no webhook of their own', async () => {
    const bad = await s.api(`/api/deployments/${slug}`, {
      method: 'PATCH',
      json: { settings: { webhookUrl: 'ftp://example.com/' } },
    });
    expect(bad.status).toBe(400);
    const err = (await json<{ error: { code: string; details: { issues: Array<{ path: string }> } } }>(bad)).error;
    expect(err.code).toBe('invalid_body');
    expect(err.details.issues[0]!.path).toBe('settings.webhookUrl');

    const receiver = await startReceiver();
    try {
      const ok = await s.api(`/api/deployments/${slug}`, {
        method: 'PATCH',
        json: { settings: { webhookUrl: receiver.url } },
      });
      expect(ok.status).toBe(200);
      expect((await json<{ settings: { webhookUrl: string } }>(ok)).settings.webhookUrl).toBe(receiver.url);
      const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: '設定' } });
      const { runId, statusUrl } = await json<{ runId: string; statusUrl: string }>(call);
      const task = await pendingTask(runId);
      await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
      await waitFor(async () => (receiver.got.length >= 1 ? true : undefined), 10_000);
      expect(receiver.got[0]!.body).toMatchObject({ runId, status: 'succeeded' });
      expect(await status(statusUrl)).toMatchObject({ webhook: { url: receiver.url, status: 'delivered' } });
    } finally {
      await receiver.close();
      const off = await s.api(`/api/deployments/${slug}`, {
        method: 'PATCH',
        json: { settings: { webhookUrl: null } },
      });
      expect((await json<{ settings: { webhookUrl: unknown } }>(off)).settings.webhookUrl).toBeNull();
    }
  });
});

describe('the request log of a call that paused', () => {
  it('shows the 202 call as waiting, then the outcome with the latency to completion', async () => {
    const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: 'ログ' } });
    const { runId } = await json<{ runId: string }>(call);
    type Row = { traceId: string; status: string; httpStatus: number; latencyMs: number; errorCode: string | null };
    const row = () =>
      s
        .api(`/api/deployments/${slug}/logs?limit=500`)
        .then((r) => json<{ items: Row[] }>(r))
        .then((p) => p.items.find((i) => i.traceId === runId));
    const waiting = await waitFor(row);
    expect(waiting).toMatchObject({ status: 'waiting', httpStatus: 202, errorCode: null });
    const waitingFilter = await json<{ items: Row[] }>(await s.api(`/api/deployments/${slug}/logs?status=waiting`));
    expect(waitingFilter.items.map((i) => i.traceId)).toContain(runId);
    const errors = await json<{ items: Row[] }>(await s.api(`/api/deployments/${slug}/logs?status=error`));
    expect(errors.items.map((i) => i.traceId)).not.toContain(runId);

    const task = await pendingTask(runId);
    await new Promise((r) => setTimeout(r, 150)); // the person takes a while
    await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
    const done = await waitFor(async () => {
      const r = await row();
      return r?.status === 'succeeded' ? r : undefined;
    });
    expect(done.httpStatus).toBe(202);
    expect(done.latencyMs).toBeGreaterThanOrEqual(150);
    expect(done.latencyMs).toBeGreaterThan(waiting.latencyMs);
    const detail = await json<{ outputs: Record<string, unknown> }>(
      await s.api(`/api/deployments/${slug}/logs/${runId}`),
    );
    expect(detail.outputs).toMatchObject({ sent: 'Echo: ログ' });
  });

  it('a paused call whose run cannot be resumed: the row takes the failure, not waiting for ever', async () => {
    const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: '壊れた記録' } });
    const { runId } = await json<{ runId: string }>(call);
    const task = await pendingTask(runId);
    // The stored flow snapshot becomes unreadable while the run waits.
    await sql`update durable_runs set flow_snapshot = '{}' where id = ${runId}`.execute(s.server.storage.db);
    await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
    type Row = { traceId: string; status: string; httpStatus: number; errorCode: string | null };
    const failed = await waitFor(async () => {
      const page = await json<{ items: Row[] }>(await s.api(`/api/deployments/${slug}/logs?limit=500`));
      const r = page.items.find((i) => i.traceId === runId);
      return r?.status === 'failed' ? r : undefined;
    });
    expect(failed).toMatchObject({ httpStatus: 202, errorCode: 'snapshot_unreadable' });
  });
});

describe('an SSE call of a flow that pauses', () => {
  it('ends its stream with a waiting event carrying the run id and status URL; the run goes on', async () => {
    const res = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: 'stream' }, stream: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = await readSse(res);
    expect(frames.map((f) => f.event)).toEqual(['waiting']);
    const w = frames[0]!.data as { runId: string; status: string; statusUrl: string };
    expect(w).toMatchObject({ status: 'waiting', statusUrl: `${s.url}/v1/endpoints/${slug}/runs/${w.runId}` });
    const task = await pendingTask(w.runId);
    await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
    const end = await waitFor(async () => {
      const v = await status(w.statusUrl);
      return v.status === 'succeeded' ? v : undefined;
    });
    expect(end.outputs).toMatchObject({ sent: 'Echo: stream' });
  });
});

describe('the OpenAPI document of a flow that pauses', () => {
  it('has the 202 answer, the webhook field and the status URL, and a standard validator accepts it', async () => {
    const res = await fetch(`${s.url}/v1/endpoints/${slug}/openapi.json`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const doc = (await res.json()) as OpenAPIV3_1.Document;
    await SwaggerParser.validate(structuredClone(doc) as never);
    const post = doc.paths?.[`/v1/endpoints/${slug}`]?.post;
    expect(Object.keys(post?.responses ?? {})).toContain('202');
    expect(Object.keys(doc.paths ?? {})).toContain(`/v1/endpoints/${slug}/runs/{runId}`);
    const req = doc.components?.schemas?.RunRequest as { properties: Record<string, unknown> };
    expect(req.properties).toHaveProperty('webhook');
    // A flow that cannot pause does not promise a 202.
    const plain = await s.api('/api/flows/plain/deployments', { method: 'POST', json: {} });
    const plainKey = (await json<{ apiKey: string | null }>(plain)).apiKey;
    const key =
      plainKey ??
      (
        await json<{ apiKey: string }>(
          await s.api('/api/deployments/plain/keys', { method: 'POST', json: { label: 'docs' } }),
        )
      ).apiKey;
    const other = (await (
      await fetch(`${s.url}/v1/endpoints/plain/openapi.json`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as OpenAPIV3_1.Document;
    expect(Object.keys(other.paths?.['/v1/endpoints/plain']?.post?.responses ?? {})).not.toContain('202');
    expect(Object.keys(other.paths ?? {})).not.toContain('/v1/endpoints/plain/runs/{runId}');
  });
});

describe('the OpenAI-compatible and MCP APIs', () => {
  it('refuse a flow that can pause with a clear not_durable error, before any model call', async () => {
    llm.reset();
    const res = await s.call('/v1/chat/completions', apiKey, {
      model: slug,
      messages: [{ role: 'user', content: 'こんにちは' }],
    });
    expect(res.status).toBe(422);
    const err = (await json<{ error: { code: string; message: string } }>(res)).error;
    expect(err.code).toBe('not_durable');
    expect(err.message).toContain(`POST /v1/endpoints/${slug}`);

    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${s.url}/v1/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${apiKey}` } },
      }),
    );
    try {
      const r = await client.callTool({ name: slug, arguments: { question: 'x' } });
      expect(r.isError).toBe(true);
      expect((r.content as Array<{ text: string }>)[0]!.text).toMatch(/^not_durable: .*MCP API cannot wait/);
    } finally {
      await client.close();
    }
    expect(llm.calls.filter((c) => c.path === '/v1/chat/completions')).toHaveLength(0);
    type Row = { api: string; status: string; httpStatus: number; errorCode: string | null };
    const rows = await json<{ items: Row[] }>(await s.api(`/api/deployments/${slug}/logs?status=rejected`));
    expect(rows.items.filter((i) => i.errorCode === 'not_durable').map((i) => [i.api, i.httpStatus])).toEqual(
      expect.arrayContaining([
        ['openai', 422],
        ['mcp', 422],
      ]),
    );
  });
});

describe('on PostgreSQL, two API processes', () => {
  it('a run paused on one and decided on the other posts its webhook exactly once', async () => {
    if (!(await postgresReachable())) {
      if (servicesRequired()) throw new Error('PostgreSQL is required (BRAID_REQUIRE_SERVICES=1)');
      return;
    }
    const schema = `braid_webhooks_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const pg = { dataDir: '/nonexistent', databaseUrl: PG_TEST_URL };
    const storeA = await openStorage(pg, { pgSchema: schema });
    const storeB = await openStorage(pg, { pgSchema: schema });
    const config = { ...s.config, port: 0 };
    const a = await startServer(config, { storage: storeA });
    const b = await startServer(config, { storage: storeB });
    const receiver = await startReceiver();
    try {
      const dep = await fetch(`${a.url}/api/flows/approve-draft/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(dep.status).toBe(201);
      const { slug: pgSlug, apiKey: pgKey } = await json<{ slug: string; apiKey: string }>(dep);
      const call = await fetch(`${a.url}/v1/endpoints/${pgSlug}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${pgKey}` },
        body: JSON.stringify({ inputs: { question: 'pg で' }, webhook: receiver.url }),
      });
      expect(call.status).toBe(202);
      const { runId } = await json<{ runId: string }>(call);
      const task = await waitFor(async () => {
        const list = await json<{ tasks: HumanTask[] }>(
          await fetch(`${b.url}/api/tasks?status=pending&runId=${runId}`),
        );
        return list.tasks[0];
      });
      const decided = await fetch(`${b.url}/api/tasks/${task.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', decidedBy: 'b' }),
      });
      expect(decided.status).toBe(200);
      await waitFor(async () => (receiver.got.length >= 1 ? true : undefined), 10_000);
      // Both processes sweep every 100 ms: give them time to (wrongly) post again.
      await new Promise((r) => setTimeout(r, 600));
      expect(receiver.got).toHaveLength(1);
      const { secret } = await json<{ secret: string }>(
        await fetch(`${a.url}/api/deployments/${pgSlug}/webhook-secret`),
      );
      const got = receiver.got[0]!;
      expect(verifySignature(secret, got.raw, got.headers['x-braid-signature'] as string)).toBe(true);
      expect(got.body).toMatchObject({ runId, status: 'succeeded', outputs: { sent: 'Echo: pg で', by: 'b' } });
      const view = await json<{ webhook: { status: string; attempts: number } }>(
        await fetch(`${a.url}/v1/endpoints/${pgSlug}/runs/${runId}`, { headers: { authorization: `Bearer ${pgKey}` } }),
      );
      expect(view.webhook).toMatchObject({ status: 'delivered', attempts: 1 });
    } finally {
      await receiver.close();
      await a.close();
      await b.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(storeA.db);
      await storeA.close();
      await storeB.close();
    }
  }, 30_000);
});

// Last: it stops the shared server `s`.
describe('a delivery pending when the process stops', () => {
  it('is made by the next process on the same database', async () => {
    const receiver = await startReceiver();
    let second: RunningServer | undefined;
    try {
      receiver.answer.push(503, 503, 503);
      const call = await s.call(`/v1/endpoints/${slug}`, apiKey, { inputs: { question: 'r' }, webhook: receiver.url });
      const { runId } = await json<{ runId: string }>(call);
      const task = await pendingTask(runId);
      await s.api(`/api/tasks/${task.id}`, { method: 'POST', json: { decision: 'approve' } });
      await waitFor(async () => (receiver.got.length >= 1 ? true : undefined), 10_000);
      // Stop the first process (its data stays) while the delivery waits for a retry.
      await s.server.close();
      const attemptsBefore = receiver.got.length;
      receiver.answer.length = 0; // the receiver is healthy again
      second = await startServer({ ...s.config, port: 0 });
      const done = await waitFor(async () => {
        const r = await fetch(`${second!.url}/v1/endpoints/${slug}/runs/${runId}`, {
          headers: { authorization: `Bearer ${apiKey}` },
        });
        const v = await json<{ webhook?: { status: string; attempts: number } }>(r);
        return v.webhook?.status === 'delivered' ? v : undefined;
      }, 10_000);
      expect(done.webhook!.attempts).toBe(attemptsBefore + 1);
      expect(receiver.got.at(-1)!.body).toMatchObject({ runId, status: 'succeeded' });
    } finally {
      await second?.close();
      await receiver.close();
    }
  });
});
