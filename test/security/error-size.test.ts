/**
 * Issue 9, item 8: error messages are capped where they are made. A code node that throws a
 * huge message yields a few KB in the response, the stored run and the deployment's
 * response and request log — not copies of the message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Flow, Trace } from '../../shared';
import { MAX_ERROR_MESSAGE_CHARS } from '../../shared/limits';
import { startHarness, type Harness } from '../http/harness';

const CHARS = 3_000_000;

const thrower: Flow = {
  schemaVersion: 1,
  id: 'thrower',
  name: 'Throws a huge error',
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'boom',
      type: 'tool',
      position: { x: 300, y: 0 },
      config: {
        kind: 'code',
        code: `throw new Error('エラー' + 'x'.repeat(${CHARS}));`,
        inputs: [{ name: 'question', type: 'string', required: true }],
        memoryMb: 128,
        timeoutMs: 10_000,
      },
    },
    { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'boom', targetPort: 'question' },
    { source: 'boom', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ examples: false, files: { 'thrower.flow.json': JSON.stringify(thrower) } });
});
afterAll(async () => {
  await h?.close();
});

describe('error sizes are capped like results are', () => {
  it('a builder run: the response and the stored run hold a capped message', async () => {
    const res = await h.api('/api/flows/thrower/runs', { method: 'POST', json: { inputs: { question: 'q' } } });
    const text = await res.text();
    expect(text.length).toBeLessThan(64 * 1024);
    const run = JSON.parse(text) as { runId: string; status: string; trace: Trace };
    expect(run.status).toBe('failed');
    const message = run.trace.error?.message ?? '';
    expect(message.startsWith('Error: エラーxxx')).toBe(true);
    expect(message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS + 64);
    expect(message).toMatch(/more characters cut\]$/);
    const stored = await (await h.api(`/api/runs/${run.runId}`)).text();
    expect(stored.length).toBeLessThan(64 * 1024);
  });

  it('a deployed call: the 500 and the request log are small too', async () => {
    const dep = await h.api('/api/flows/thrower/deployments', { method: 'POST', json: {} });
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const res = await fetch(`${h.url}/v1/endpoints/thrower`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { question: 'q' } }),
    });
    expect(res.status).toBe(500);
    expect((await res.text()).length).toBeLessThan(16 * 1024);
    let logs = '';
    for (let i = 0; i < 50 && !logs.includes('"traceId"'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      logs = await (await h.api('/api/deployments/thrower/logs')).text();
    }
    expect(logs).toContain('エラー');
    expect(logs.length).toBeLessThan(64 * 1024);
  });
});
