/**
 * SSRF: every outbound request whose URL a user controls goes through
 * server/net/guarded-fetch.ts. A static check lists every network call site in server/
 * (only the operator's own provider clients and the CLI's --server client may bypass the
 * guard), and live checks send knowledge-base URL ingestion, alert webhooks and the http
 * tool at loopback, private, metadata and encoded addresses.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, waitFor, type Harness } from '../http/harness';

const SERVER_DIR = fileURLToPath(new URL('../../server', import.meta.url));

/** Files allowed to open connections without the guard, and why. */
const ALLOWED: Record<string, string> = {
  'net/guarded-fetch.ts': 'the guard itself',
  'mcp/http-fetch.ts':
    "the guard's streaming variant for MCP servers: vet() and the pinned socket of net/guarded-fetch.ts",
  'llm/fast-fetch.ts': "provider SDK transport: the operator's OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_BASE_URL",
  'llm/embeddings.ts': "operator's provider base URL",
  'evaluation/remote.ts': 'CLI client of the operator-given --server URL',
  'cli/commands/run.ts': 'CLI client of the operator-given --server URL',
  'cli/commands/deploy.ts': 'CLI client of the operator-given --server URL',
  'cli/commands/dataset.ts': 'CLI client of the operator-given --server URL',
  'deployment/testing.ts': 'test support: calls the test server on 127.0.0.1',
  'app.ts': 'creates the listening server (no outbound request)',
};

const NETWORK =
  /\bfetch\(|\bhttps?\.(request|get)\(|from 'node:https?'|from 'https?'|\bgot\b\(|from 'got'|axios|undici|\bnet\.connect|\btls\.connect|new WebSocket|XMLHttpRequest/;

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return walk(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.includes('test-support') ? [p] : [];
  });
}

describe('SSRF: one guard for user-controlled URLs', () => {
  it('no server file opens a connection outside the allowed list', () => {
    const offenders: string[] = [];
    for (const file of walk(SERVER_DIR)) {
      const rel = path.relative(SERVER_DIR, file).split(path.sep).join('/');
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        // Type-only imports (node:http's request and response types) have no run-time effect.
        const code = line
          .replace(/\/\/.*$/, '')
          .replace(/^\s*\*.*$/, '')
          .replace(/^\s*import type .*$/, '');
        if (NETWORK.test(code) && !ALLOWED[rel]) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('the MCP streaming fetch vets every URL with the guard before connecting', () => {
    const text = fs.readFileSync(path.join(SERVER_DIR, 'mcp/http-fetch.ts'), 'utf8');
    expect(text).toMatch(/await vet\(url, opts\.allowHosts, resolver\)/);
    expect(text).toMatch(/lookup: pinnedLookup\(pin\)/);
  });

  it('the allowed provider clients only take URLs from the operator config', () => {
    for (const rel of ['llm/embeddings.ts']) {
      const text = fs.readFileSync(path.join(SERVER_DIR, rel), 'utf8');
      expect(text, rel).toMatch(/providers\.(openai|ollama)|baseUrl/);
    }
  });
});

describe('SSRF live: knowledge URL ingestion, alert webhooks, http tool', () => {
  let h: Harness;
  let hits = 0;
  let target: http.Server;
  let targetUrl = '';
  beforeAll(async () => {
    target = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('internal secret page');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}`;
    h = await startHarness(); // no allow-list: loopback and private addresses are refused
  });
  afterAll(async () => {
    await h.close();
    await new Promise<void>((r) => target.close(() => r()));
  });

  const port = () => new URL(targetUrl).port;
  const badUrls = () => [
    `${targetUrl}/x`,
    `http://localhost:${port()}/x`,
    `http://[::1]:${port()}/x`,
    `http://2130706433:${port()}/x`,
    `http://0x7f.1:${port()}/x`,
    `http://127.1:${port()}/x`,
    `http://0:${port()}/x`,
    `http://[::ffff:127.0.0.1]:${port()}/x`,
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://10.0.0.1/',
    'http://192.168.1.1/',
    'http://[fd00::1]/',
    `file:///etc/passwd`,
    `gopher://127.0.0.1:${port()}/_x`,
  ];

  it('knowledge-base URL ingestion refuses every private target and never reaches it', async () => {
    const urls = badUrls();
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'ssrfkb' } })).status).toBe(201);
    const res = await h.api('/api/knowledge-bases/ssrfkb/urls', { method: 'POST', json: { urls } });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string };
    const done = await waitFor(async () => {
      const j = (await (await h.api(`/api/knowledge-bases/ssrfkb/jobs/${job.id}`)).json()) as {
        status: string;
        items?: Array<{ error?: unknown; status?: string }>;
      };
      return j.status === 'running' || j.status === 'queued' ? undefined : j;
    }, 15_000);
    const text = JSON.stringify(done);
    expect(text).not.toContain('internal secret page');
    expect(text).toMatch(/refused|ssrf|not allowed|only http/i);
    expect(hits).toBe(0);
  });

  it('alert webhooks to private addresses are refused at delivery and never reached', async () => {
    // qa fails without a provider: an error burst on a deployment
    const dep = await h.api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'ssrf-qa' } });
    const { apiKey } = (await dep.json()) as { apiKey: string };
    for (let i = 0; i < 3; i++)
      await fetch(`${h.url}/v1/endpoints/ssrf-qa`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: '{"inputs":{"question":"q"}}',
      });
    const rule = await h.api('/api/alerts/rules', {
      method: 'POST',
      json: {
        slug: 'ssrf-qa',
        kind: 'error_rate',
        threshold: 0.1,
        minSamples: 1,
        webhookUrl: `${targetUrl}/hook`,
        cooldownMs: 0,
      },
    });
    expect(rule.status, await rule.clone().text()).toBe(201);
    await new Promise((r) => setTimeout(r, 300));
    const fired = JSON.stringify(await (await h.api('/api/alerts/evaluate', { method: 'POST', json: {} })).json());
    const events = JSON.stringify(await (await h.api('/api/alerts/events')).json());
    expect(`${fired}${events}`).toContain('ssrf-qa');
    expect(`${fired}${events}`).not.toContain('"delivered"');
    expect(events).toMatch(/refused|ssrf|loopback/i);
    expect(hits).toBe(0);
  });

  it('the http tool refuses the same targets', async () => {
    const flow = {
      schemaVersion: 1,
      id: 'ssrf-tool',
      name: 'ssrf',
      inputs: [{ name: 'url', type: 'string', required: true }],
      outputs: [{ name: 'body', type: 'json' }],
      nodes: [
        { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
        {
          id: 'call',
          type: 'tool',
          position: { x: 1, y: 0 },
          config: { kind: 'http', method: 'GET', url: '{{{url}}}', responseType: 'text', timeoutMs: 3000 },
        },
        { id: 'outputs', type: 'output', position: { x: 2, y: 0 } },
      ],
      edges: [
        { source: 'inputs', sourcePort: 'url', target: 'call', targetPort: 'url' },
        { source: 'call', sourcePort: 'body', target: 'outputs', targetPort: 'body' },
      ],
    };
    const put = await h.api('/api/flows/ssrf-tool', { method: 'PUT', json: flow });
    expect(put.status, await put.clone().text()).toBeLessThan(300);
    for (const url of badUrls()) {
      const res = await h.api('/api/flows/ssrf-tool/runs', { method: 'POST', json: { inputs: { url } } });
      const body = await res.text();
      expect(body, url).not.toContain('internal secret page');
      expect(res.status, url).toBeLessThan(500);
    }
    expect(hits).toBe(0);
  });
});
