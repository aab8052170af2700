import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { readSse, startHarness, TEST_API_KEY, waitFor, type Harness } from './harness';

let fake: FakeOpenAI;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  h = await startHarness({ openaiUrl: fake.url });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

interface RunBody {
  runId: string;
  status: string;
  outputs: Record<string, unknown>;
  trace: {
    runId: string;
    status: string;
    spans: Array<{ nodeId: string; status: string; tokens?: { totalTokens: number } }>;
    error?: { code: string; message: string; nodeId?: string };
  };
}

describe('runs API', () => {
  it('runs a flow as JSON, persists it, and serves it via /api/runs/:id and the history', async () => {
    const res = await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'What is Braid?' } } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RunBody;
    expect(body.status).toBe('succeeded');
    expect(body.outputs).toEqual({ answer: 'Echo: What is Braid?' });
    expect(body.trace.spans.map((s) => s.nodeId).sort()).toEqual(['answer', 'inputs', 'outputs']);
    expect(body.trace.spans.find((s) => s.nodeId === 'answer')?.tokens?.totalTokens).toBeGreaterThan(0);
    expect(fake.calls).toHaveLength(1);

    const stored = await h.api(`/api/runs/${body.runId}`);
    expect(stored.status).toBe(200);
    const run = (await stored.json()) as {
      runId: string;
      status: string;
      flowId: string;
      outputs: unknown;
      trace: { spans: unknown[] };
      running: boolean;
      usage: { totalTokens: number };
    };
    expect(run).toMatchObject({
      runId: body.runId,
      status: 'succeeded',
      flowId: 'qa',
      outputs: { answer: 'Echo: What is Braid?' },
      running: false,
    });
    expect(run.trace.spans).toHaveLength(3);
    expect(run.usage.totalTokens).toBeGreaterThan(0);

    await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'second' } } });
    const hist = (await (await h.api('/api/flows/qa/runs?limit=1')).json()) as {
      runs: Array<{ runId: string }>;
      nextCursor?: string;
    };
    expect(hist.runs).toHaveLength(1);
    expect(hist.nextCursor).toBeTruthy();
    const older = (await (await h.api(`/api/flows/qa/runs?limit=5&before=${hist.nextCursor}`)).json()) as {
      runs: Array<{ runId: string }>;
    };
    expect(older.runs.map((r) => r.runId)).toContain(body.runId);
    expect((await h.api('/api/runs/does-not-exist')).status).toBe(404);
  });

  it('missing or wrongly typed run inputs → 400 naming the field', async () => {
    const res = await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: {} } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { issues: Array<{ path: string }> } };
    };
    expect(body.error.code).toBe('invalid_inputs');
    expect(body.error.details.issues.map((i) => i.path)).toEqual(['inputs.question']);
    expect(body.error.message).toContain('inputs.question');
    const extra = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      json: { inputs: { question: 'q', flow: { nodes: [] } } },
    });
    expect(extra.status).toBe(400);
    const typed = await h.api('/api/flows/code-tool/runs', {
      method: 'POST',
      json: { inputs: { text: 'a', top: 'three' } },
    });
    expect(typed.status).toBe(400);
    expect(
      ((await typed.json()) as { error: { details: { issues: Array<{ path: string }> } } }).error.details.issues[0]
        ?.path,
    ).toBe('inputs.top');
    expect(fake.calls).toHaveLength(0);
  });

  it('streams run events over SSE in order', async () => {
    fake.setTokenDelay(2);
    const res = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { inputs: { question: 'stream me please' } },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const frames = await readSse(res);
    const types = frames.map((f) => f.event);
    expect(types[0]).toBe('run_started');
    expect(types.at(-2)).toBe('run_finished');
    expect(types.at(-1)).toBe('result');
    const tokens = frames.filter((f) => f.event === 'token').map((f) => (f.data as { token: string }).token);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe('Echo: stream me please');
    const started = types.indexOf('node_started');
    const firstToken = types.indexOf('token');
    const answerFinished = frames.findIndex(
      (f) => f.event === 'node_finished' && (f.data as { nodeId: string }).nodeId === 'answer',
    );
    expect(started).toBeGreaterThan(0);
    expect(firstToken).toBeGreaterThan(started);
    expect(answerFinished).toBeGreaterThan(firstToken);
    const result = frames.at(-1)!.data as { status: string; outputs: Record<string, unknown>; runId: string };
    expect(result).toMatchObject({ status: 'succeeded', outputs: { answer: 'Echo: stream me please' } });
    // every frame is the event's own JSON: the run id matches throughout
    expect(frames.slice(0, -1).every((f) => (f.data as { runId: string }).runId === result.runId)).toBe(true);
  });

  it('running an invalid stored flow → 422 with every problem; nothing runs', async () => {
    const flow = JSON.parse(fs.readFileSync(path.join(h.flowsDir, 'qa.flow.json'), 'utf8')) as {
      nodes: unknown[];
      edges: unknown[];
    };
    flow.nodes.push({ id: 'odd', type: 'mystery', position: { x: 0, y: 0 } });
    flow.edges.push({ source: 'ghost', sourcePort: 'x', target: 'answer', targetPort: 'question' });
    fs.writeFileSync(path.join(h.flowsDir, 'broken-qa.flow.json'), JSON.stringify(flow));
    for (const accept of ['application/json', 'text/event-stream']) {
      const res = await h.api('/api/flows/broken-qa/runs', {
        method: 'POST',
        headers: { accept },
        json: { inputs: { question: 'q' } },
      });
      expect(res.status).toBe(422);
      const body = (await res.json()) as { error: { code: string; details: { problems: Array<{ code: string }> } } };
      expect(body.error.code).toBe('invalid_flow');
      expect(body.error.details.problems.map((p) => p.code)).toEqual(
        expect.arrayContaining(['unknown_type', 'dangling_edge']),
      );
    }
    expect(fake.calls).toHaveLength(0);
  });

  it('SSE request errors before the run starts stay JSON errors', async () => {
    const res = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { inputs: {} },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('a client that disconnects cancels its run', async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const res = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { inputs: { question: 'never answered' } },
      signal: controller.signal,
    });
    let runId = '';
    await readSse(res, (f) => {
      if (f.event === 'node_started' && (f.data as { nodeId: string }).nodeId === 'answer') {
        runId = (f.data as { runId: string }).runId;
        return true;
      }
      return false;
    }).catch(() => undefined);
    controller.abort();
    expect(runId).not.toBe('');
    const run = await waitFor(async () => {
      const r = (await (await h.api(`/api/runs/${runId}`)).json()) as { status: string; running: boolean };
      return r.status !== 'running' && !r.running ? r : undefined;
    }, 8000);
    expect(run.status).toBe('cancelled');
  });

  it('a JSON client that disconnects cancels its run too', async () => {
    fake.enqueue({ hang: true });
    const controller = new AbortController();
    const pending = h
      .api('/api/flows/qa/runs', {
        method: 'POST',
        json: { inputs: { question: 'json hang' } },
        signal: controller.signal,
      })
      .catch((e: unknown) => e);
    await waitFor(async () => (fake.calls.length === 1 ? true : undefined));
    controller.abort();
    await pending;
    const run = await waitFor(async () => {
      const page = (await (await h.api('/api/flows/qa/runs?limit=1')).json()) as {
        runs: Array<{ status: string; runId: string }>;
      };
      const r = page.runs[0];
      return r && r.status !== 'running' ? r : undefined;
    }, 8000);
    expect(run.status).toBe('cancelled');
    expect(((await (await h.api(`/api/runs/${run.runId}`)).json()) as { inputs: unknown }).inputs).toEqual({
      question: 'json hang',
    });
  });

  it('POST /api/runs/:id/cancel cancels an in-flight run', async () => {
    fake.enqueue({ hang: true });
    const res = await h.api('/api/flows/qa/runs', {
      method: 'POST',
      headers: { accept: 'text/event-stream' },
      json: { inputs: { question: 'hang' } },
    });
    let runId = '';
    const frames = await readSse(res, (f) => {
      if (f.event === 'node_started' && (f.data as { nodeId: string }).nodeId === 'answer') {
        runId = (f.data as { runId: string }).runId;
        void h.api(`/api/runs/${runId}/cancel`, { method: 'POST' }).then((r) => expect(r.status).toBe(202));
      }
      return false;
    });
    expect(frames.at(-1)?.data).toMatchObject({ runId, status: 'cancelled' });
    const again = await h.api(`/api/runs/${runId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
    expect((await h.api('/api/runs/unknown-run/cancel', { method: 'POST' })).status).toBe(404);
  });

  it('a failing provider ends the run failed, and secrets never leave', async () => {
    fake.enqueue({ status: 401, code: 'invalid_api_key', message: `Incorrect API key provided: ${TEST_API_KEY}` });
    const res = await h.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'q' } } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(TEST_API_KEY);
    const body = JSON.parse(text) as RunBody;
    expect(body.status).toBe('failed');
    expect(body.trace.error?.nodeId).toBe('answer');
    const stored = await (await h.api(`/api/runs/${body.runId}`)).text();
    expect(stored).not.toContain(TEST_API_KEY);
    expect(stored).toContain('failed');
    expect(await (await h.api('/api/providers')).text()).not.toContain(TEST_API_KEY);
  });

  it('single-node debug run', async () => {
    const res = await h.api('/api/flows/parallel-merge/nodes/pros/run', {
      method: 'POST',
      json: { inputs: { topic: 'tabs' } },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RunBody;
    expect(body.status).toBe('succeeded');
    expect(body.trace.spans.map((s) => s.nodeId)).toEqual(['pros']);
    expect(fake.calls).toHaveLength(1);
    expect(
      (await h.api('/api/flows/parallel-merge/nodes/ghost/run', { method: 'POST', json: { inputs: {} } })).status,
    ).toBe(404);
  });

  it('runs flows without a model: code tool', async () => {
    const res = await h.api('/api/flows/code-tool/runs', {
      method: 'POST',
      json: { inputs: { text: 'the cat and the hat. The end!' } },
    });
    const body = (await res.json()) as RunBody;
    expect(body.status).toBe('succeeded');
    expect(body.outputs.stats).toMatchObject({
      words: 7,
      sentences: 2,
      topWords: [
        { word: 'the', count: 3 },
        { word: 'and', count: 1 },
        { word: 'cat', count: 1 },
      ],
    });
  });

  it('router and parallel-merge examples run against the fake model', async () => {
    const billing = (await (
      await h.api('/api/flows/router/runs', { method: 'POST', json: { inputs: { question: 'Where is my invoice?' } } })
    ).json()) as RunBody;
    expect(billing.status).toBe('succeeded');
    expect(billing.trace.spans.find((s) => s.nodeId === 'general')?.status).toBe('skipped');
    expect(billing.outputs.answer).toBe('Echo: Where is my invoice?');
    const pm = (await (
      await h.api('/api/flows/parallel-merge/runs', { method: 'POST', json: { inputs: { topic: 'tabs' } } })
    ).json()) as RunBody;
    expect(pm.status).toBe('succeeded');
    expect(Object.keys(pm.outputs).sort()).toEqual(['cons', 'pros', 'summary']);
  });
});

describe('no provider configured', () => {
  let bare: Harness;
  beforeAll(async () => {
    bare = await startHarness();
  });
  afterAll(async () => {
    await bare?.close();
  });

  it('a prompt node fails with a message naming the environment variables; other flows still run', async () => {
    const res = await bare.api('/api/flows/qa/runs', { method: 'POST', json: { inputs: { question: 'hi' } } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as RunBody;
    expect(body.status).toBe('failed');
    expect(body.trace.error?.code).toBe('provider_not_configured');
    expect(body.trace.error?.message).toMatch(/OPENAI_API_KEY/);
    const ok = (await (
      await bare.api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: 'a b' } } })
    ).json()) as RunBody;
    expect(ok.status).toBe('succeeded');
  });
});
