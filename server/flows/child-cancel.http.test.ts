/**
 * Cancelling one child run by its own id (`POST /api/runs/:childId/cancel`): that child
 * alone stops; for a map item the item fails with `cancelled` and the map's onItemError
 * applies (null: the map succeeds with null in its place; fail: the map node fails).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow } from '../../shared';
import { startHarness, type Harness } from '../../test/http/harness';
import { startFakeOpenAI, type ChatRequest, type FakeOpenAI } from '../../test/support/fake-openai';
import { makeFlow, mapFlow, node } from '../runtime/composition-fixtures';

let fake: FakeOpenAI;
let h: Harness;

const ask: Flow = makeFlow(
  'ask',
  [{ name: 'text', type: 'string', required: true }],
  [{ name: 'out', type: 'string' }],
  [node('p', 'prompt', { model: 'openai:gpt-4o-mini', messages: [{ role: 'user', content: '{{text}}' }] })],
  [
    ['inputs', 'text', 'p', 'text'],
    ['p', 'text', 'outputs', 'out'],
  ],
);

beforeAll(async () => {
  // Items that say 遅い take 20 s (until cancelled); the others answer at once.
  fake = await startFakeOpenAI({
    responder: async (body: ChatRequest) => {
      const text = String(body.messages.at(-1)?.content ?? '');
      if (text.includes('遅い')) await new Promise((r) => setTimeout(r, 20_000).unref());
      return `答え:${text}`;
    },
  });
  const files: Record<string, string> = {};
  for (const f of [ask, mapFlow('ask', { concurrency: 3, onItemError: 'null' }, 'map-null')])
    files[`${f.id}.flow.json`] = JSON.stringify(f);
  files['map-fail.flow.json'] = JSON.stringify(mapFlow('ask', { concurrency: 3, onItemError: 'fail' }, 'map-fail'));
  h = await startHarness({ openaiUrl: fake.url, examples: false, files });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});

interface RunView {
  status: string;
  running: boolean;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string };
}
interface ChildPage {
  runs: Array<{ runId: string; status: string; parent: { iteration: number } }>;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Start a map run in the background and return its id and the id of the running child of item `index`. */
async function startWithSlowItem(flowId: string, items: string[], index: number) {
  const res = await h.api(`/api/flows/${flowId}/runs`, { method: 'POST', json: { inputs: { items }, mode: 'async' } });
  expect(res.status).toBe(202);
  const { runId } = (await res.json()) as { runId: string };
  const childId = await until('the slow child to run', async () => {
    const page = (await (await h.api(`/api/runs/${runId}/children`)).json()) as ChildPage;
    return page.runs?.find((r) => r.parent.iteration === index && r.status === 'running')?.runId;
  });
  return { runId, childId };
}

async function finished(runId: string): Promise<RunView> {
  return until('the run to finish', async () => {
    const run = (await (await h.api(`/api/runs/${runId}`)).json()) as RunView;
    return run.status !== 'running' ? run : undefined;
  });
}

describe('POST /api/runs/:childId/cancel', () => {
  it('cancels one map item: it fails with cancelled, onItemError null keeps the others', async () => {
    const items = ['一', '二は遅い', '三'];
    const { runId, childId } = await startWithSlowItem('map-null', items, 1);
    expect(((await (await h.api(`/api/runs/${childId}`)).json()) as RunView).running).toBe(true);

    const t0 = Date.now();
    const cancel = await h.api(`/api/runs/${childId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    expect(await cancel.json()).toEqual({ runId: childId, cancelled: true });

    const run = await finished(runId);
    expect(Date.now() - t0).toBeLessThan(5_000); // not the slow item's 20 s
    expect(run.status).toBe('succeeded');
    expect(run.outputs?.outs).toEqual(['答え:一', null, '答え:三']);
    expect(run.outputs?.errors).toEqual([
      { index: 1, error: expect.objectContaining({ code: 'cancelled', runId: childId }) },
    ]);
    const child = (await (await h.api(`/api/runs/${childId}`)).json()) as RunView;
    expect(child.status).toBe('cancelled');
    expect(child.running).toBe(false);

    // Finished now: a second cancel is refused like any run that is not running.
    const again = await h.api(`/api/runs/${childId}/cancel`, { method: 'POST' });
    expect(again.status).toBe(409);
  });

  it('with onItemError fail, the cancelled item fails the map node and the run', async () => {
    const { runId, childId } = await startWithSlowItem('map-fail', ['一は遅い', '二'], 0);
    expect((await h.api(`/api/runs/${childId}/cancel`, { method: 'POST' })).status).toBe(202);
    const run = await finished(runId);
    expect(run.status).toBe('failed');
    expect(run.error).toMatchObject({ code: 'child_failed' });
    expect(run.error?.message).toContain('item 0');
    expect(run.error?.message).toContain('cancelled');
  });
});
