/**
 * Nothing in a flow executes on import, save, validate, list or open: code, JSONata,
 * template renders and URLs run only when the flow runs. The real sandbox pool, jsonata and
 * renderTemplate are wrapped with call counters (their behaviour is unchanged), and the http
 * tool points at a local server that counts requests. A real run at the end shows the
 * counters do count.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import { startHarness, type Harness } from './harness';

const calls = vi.hoisted(() => ({ sandbox: 0, jsonata: 0, render: 0 }));

vi.mock('../../server/sandbox/pool', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../server/sandbox/pool')>();
  return {
    ...real,
    runSandboxed: (...args: Parameters<typeof real.runSandboxed>) => {
      calls.sandbox++;
      return real.runSandboxed(...args);
    },
  };
});
vi.mock('jsonata', async (importOriginal) => {
  const real = (await importOriginal<{ default: (...a: unknown[]) => unknown }>()).default;
  const counted = Object.assign((...args: unknown[]) => {
    calls.jsonata++;
    return real(...args);
  }, real);
  return { default: counted };
});
vi.mock('../../shared/template', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../shared/template')>();
  return {
    ...real,
    renderTemplate: (...args: Parameters<typeof real.renderTemplate>) => {
      calls.render++;
      return real.renderTemplate(...args);
    },
  };
});

let h: Harness;
let target: http.Server;
let hits = 0;
let targetUrl = '';

function dangerousFlow(id: string): Record<string, unknown> {
  return {
    schemaVersion: 1,
    id,
    name: 'Everything that could run',
    inputs: [{ name: 'q', type: 'string', required: true }],
    outputs: [
      { name: 'code', type: 'any' },
      { name: 'heavy', type: 'any' },
      { name: 'fetched', type: 'any' },
      { name: 'routed', type: 'any' },
      { name: 'text', type: 'any' },
    ],
    nodes: [
      { id: 'in', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'loop',
        type: 'tool',
        position: { x: 1, y: 0 },
        config: { kind: 'code', code: 'while(true){}', inputs: [{ name: 'q' }], timeoutMs: 100 },
      },
      {
        id: 'heavy',
        type: 'transform',
        position: { x: 1, y: 1 },
        config: { mode: 'jsonata', expression: '$count([1..900000].($string($) & $input))' },
      },
      {
        id: 'fetch',
        type: 'tool',
        position: { x: 1, y: 2 },
        config: { kind: 'http', url: `${targetUrl}/hit?q={{q}}`, timeoutMs: 5_000 },
      },
      {
        id: 'route',
        type: 'condition',
        position: { x: 1, y: 3 },
        config: { branches: [{ name: 'long', when: '$length($) > 3' }] },
      },
      {
        id: 'tpl',
        type: 'transform',
        position: { x: 1, y: 4 },
        config: { mode: 'template', template: 'Q: {{q}}' },
      },
      { id: 'out', type: 'output', position: { x: 2, y: 0 } },
    ],
    edges: [
      { source: 'in', sourcePort: 'q', target: 'loop', targetPort: 'q' },
      { source: 'in', sourcePort: 'q', target: 'heavy', targetPort: 'input' },
      { source: 'in', sourcePort: 'q', target: 'fetch', targetPort: 'q' },
      { source: 'in', sourcePort: 'q', target: 'route', targetPort: 'input' },
      { source: 'in', sourcePort: 'q', target: 'tpl', targetPort: 'q' },
      { source: 'loop', sourcePort: 'result', target: 'out', targetPort: 'code' },
      { source: 'heavy', sourcePort: 'result', target: 'out', targetPort: 'heavy' },
      { source: 'fetch', sourcePort: 'body', target: 'out', targetPort: 'fetched' },
      { source: 'route', sourcePort: 'long', target: 'out', targetPort: 'routed' },
      { source: 'tpl', sourcePort: 'result', target: 'out', targetPort: 'text' },
    ],
  };
}

beforeAll(async () => {
  target = http.createServer((_req, res) => {
    hits++;
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
  // The allow-list lets the http tool reach the counting server, so a real run does.
  h = await startHarness({
    examples: false,
    files: { 'imported.flow.json': JSON.stringify(dangerousFlow('imported')) },
    env: { BRAID_HTTP_ALLOW_HOSTS: '127.0.0.1' },
  });
});

afterAll(async () => {
  await h?.close();
  await new Promise<void>((r) => target.close(() => r()));
});

describe('nothing executes outside a run', () => {
  it('import (boot listing), list, open, validate, save and re-save run no code, JSONata, template or URL', async () => {
    const list = await h.api('/api/flows');
    expect(list.status).toBe(200);
    const listed = (await list.json()) as { flows: Array<{ id: string }> };
    expect(listed.flows.map((f) => f.id)).toContain('imported');

    const open = await h.api('/api/flows/imported');
    expect(open.status).toBe(200);
    const opened = (await open.json()) as { valid: boolean; problems: unknown[]; etag: string };
    expect(opened.problems).toEqual([]);
    expect(opened.valid).toBe(true);

    expect((await h.api('/api/flows/imported/validate', { method: 'POST' })).status).toBe(200);
    const draft = await h.api('/api/flows/imported/validate', { method: 'POST', json: dangerousFlow('imported') });
    expect(((await draft.json()) as { valid: boolean }).valid).toBe(true);

    const created = await h.api('/api/flows', { method: 'POST', json: dangerousFlow('created') });
    expect(created.status).toBe(201);
    const saved = await h.api('/api/flows/imported', {
      method: 'PUT',
      json: dangerousFlow('imported'),
      headers: { 'if-match': opened.etag },
    });
    expect(saved.status).toBe(200);
    expect((await h.api('/api/flows')).status).toBe(200);

    expect(calls).toEqual({ sandbox: 0, jsonata: 0, render: 0 });
    expect(hits).toBe(0);
  });

  it('running the nodes does reach each of them (the counters count)', async () => {
    const runNode = async (nodeId: string, inputs: Record<string, unknown>): Promise<string> => {
      const res = await h.api(`/api/flows/created/nodes/${nodeId}/run`, { method: 'POST', json: { inputs } });
      return ((await res.json()) as { status: string }).status;
    };
    expect(await runNode('loop', { q: 'x' })).toBe('failed'); // the endless loop hits its time limit
    expect(calls.sandbox).toBe(1);
    expect(await runNode('fetch', { q: 'x' })).toBe('succeeded');
    expect(hits).toBe(1);
    expect(await runNode('tpl', { q: 'x' })).toBe('succeeded');
    expect(calls.render).toBe(2); // the URL and the template
    expect(await runNode('route', { input: 'hello' })).toBe('succeeded');
    expect(calls.jsonata).toBe(1);
  });
});
