/**
 * DoS-ish input: deep JSON, giant template strings, a 10k-node flow, oversize and
 * field-flooding multipart uploads, slowloris clients (half-sent headers, SSE readers that
 * never read), and many concurrent runs. Bad input is a 4xx, never a 5xx, and the server
 * keeps answering /api/health quickly throughout.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from '../http/harness';
import { MAX_JSON_DEPTH } from '../../server/http/middleware/json';

const deepObj = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const deepArr = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('DoS-ish input', () => {
  let h: Harness;
  let key = '';
  beforeAll(async () => {
    h = await startHarness({ bodyLimit: '4mb' });
    const dep = await h.api('/api/flows/code-tool/deployments', { method: 'POST', json: { slug: 'dos' } });
    key = ((await dep.json()) as { apiKey: string }).apiKey;
  });
  afterAll(async () => {
    await h.close();
  });

  const healthy = async () => {
    const t0 = performance.now();
    const res = await h.api('/api/health');
    expect(res.status).toBe(200);
    return performance.now() - t0;
  };

  it('deeply nested JSON is a 400 on every body-taking route (never a stack overflow 500)', async () => {
    const flowWith = (v: string) =>
      `{"schemaVersion":1,"id":"deep","name":"x","inputs":[{"name":"q","type":"json","required":false,"default":${v}}],"outputs":[],"nodes":[{"id":"inputs","type":"input","position":{"x":0,"y":0}}],"edges":[]}`;
    const cases: Array<[string, string, string, Record<string, string>?]> = [
      ['PUT', '/api/flows/deep', flowWith(deepObj(20_000))],
      ['POST', '/api/flows', flowWith(deepArr(200_000))],
      ['POST', '/api/flows/code-tool/runs', `{"inputs":{"text":"x","top":${deepObj(20_000)}}}`],
      ['POST', '/api/flows/qa/validate', flowWith(deepObj(20_000))],
      ['POST', '/api/evaluations', `{"flow":${deepObj(20_000)},"datasetId":"x","config":{}}`],
      ['POST', '/api/flows/code-tool/deployments', `{"settings":${deepObj(20_000)}}`],
      ['POST', '/v1/endpoints/dos', `{"inputs":{"text":${deepArr(200_000)}}}`, { authorization: `Bearer ${key}` }],
      [
        'POST',
        '/v1/chat/completions',
        `{"model":"dos","messages":${deepArr(200_000)}}`,
        { authorization: `Bearer ${key}` },
      ],
    ];
    for (const [method, p, body, headers] of cases) {
      const res = await rawRequest(h.url, {
        method,
        path: p,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      expect(res.status, `${method} ${p} → ${res.status} ${res.body.slice(0, 200)}`).toBe(400);
      expect(res.body).toContain('too_deep');
    }
    // a flow nested well within the limit is still accepted
    const ok = await rawRequest(h.url, {
      method: 'PUT',
      path: '/api/flows/deep',
      headers: { 'content-type': 'application/json' },
      body: flowWith(deepObj(MAX_JSON_DEPTH - 10)),
    });
    expect(ok.status, ok.body.slice(0, 200)).toBe(201);
    await healthy();
  });

  it('a __proto__ key nested past the old 200-level scan depth is still refused', async () => {
    const body = `{"inputs":{"text":"x","top":${'{"a":'.repeat(230)}{"__proto__":{"polluted":1}}${'}'.repeat(230)}}}`;
    const res = await rawRequest(h.url, {
      method: 'POST',
      path: '/api/flows/code-tool/runs',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.body).toContain('forbidden_key');
  });

  it('giant strings in templates and inputs: bounded time, clean answers', async () => {
    const big = 'x'.repeat(3 * 1024 * 1024);
    const t0 = performance.now();
    const res = await h.api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: big } } });
    expect(res.status).toBeLessThan(500);
    expect(performance.now() - t0).toBeLessThan(15_000);
    const tmpl = {
      schemaVersion: 1,
      id: 'bigtmpl',
      name: 'big',
      inputs: [{ name: 'q', type: 'string', required: true }],
      outputs: [{ name: 'out', type: 'string' }],
      nodes: [
        { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
        {
          id: 't',
          type: 'transform',
          position: { x: 1, y: 0 },
          config: { mode: 'template', template: `${'{{q}}'.repeat(200_000)}` },
        },
        { id: 'outputs', type: 'output', position: { x: 2, y: 0 } },
      ],
      edges: [
        { source: 'inputs', sourcePort: 'q', target: 't', targetPort: 'q' },
        { source: 't', sourcePort: 'result', target: 'outputs', targetPort: 'out' },
      ],
    };
    const put = await h.api('/api/flows/bigtmpl', { method: 'PUT', json: tmpl });
    expect(put.status).toBeLessThan(500);
    if (put.status < 300) {
      // 200 000 copies of a 10 KB input would be 2 GB of output: must end as a clean failure or capped result
      const t1 = performance.now();
      const run = await h.api('/api/flows/bigtmpl/runs', {
        method: 'POST',
        json: { inputs: { q: 'y'.repeat(10_000) } },
      });
      expect(run.status, (await run.clone().text()).slice(0, 300)).toBeLessThan(500);
      expect(performance.now() - t1).toBeLessThan(20_000);
    }
    await healthy();
  }, 60_000);

  it('a flow with 10 000 nodes is validated (or refused) quickly on PUT', async () => {
    const n = 10_000;
    const nodes: unknown[] = [{ id: 'inputs', type: 'input', position: { x: 0, y: 0 } }];
    const edges: unknown[] = [];
    let prev = 'inputs';
    let port = 'q';
    for (let i = 0; i < n; i++) {
      const id = `t${i}`;
      nodes.push({ id, type: 'transform', position: { x: i, y: 0 }, config: { mode: 'template', template: '{{v}}' } });
      edges.push({ source: prev, sourcePort: port, target: id, targetPort: 'v' });
      prev = id;
      port = 'result';
    }
    const flow = {
      schemaVersion: 1,
      id: 'huge',
      name: 'huge',
      inputs: [{ name: 'q', type: 'string', required: true }],
      outputs: [],
      nodes,
      edges,
    };
    const t0 = performance.now();
    const res = await h.api('/api/flows/huge', { method: 'PUT', json: flow });
    const ms = performance.now() - t0;
    expect(res.status, (await res.clone().text()).slice(0, 300)).toBeLessThan(500);
    expect(ms).toBeLessThan(10_000);
    const list = await h.api('/api/flows');
    expect(list.status).toBe(200);
    await healthy();
  }, 60_000);

  it('multipart uploads: too many fields → 413; a file over the knowledge limit never lands', async () => {
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'doskb' } })).status).toBe(201);
    const form = new FormData();
    for (let i = 0; i < 200; i++) form.append(`f${i}`, 'x'.repeat(1000));
    form.append('files', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    const res = await h.api('/api/knowledge-bases/doskb/documents', { method: 'POST', body: form });
    expect(res.status).toBe(413);
    const form2 = new FormData();
    for (let i = 0; i < 120; i++) form2.append('files', new Blob(['x'], { type: 'text/plain' }), `${i}.txt`);
    const res2 = await h.api('/api/knowledge-bases/doskb/documents', { method: 'POST', body: form2 });
    expect(res2.status).toBe(413);
    await healthy();
  });

  it('slowloris: half-sent requests and SSE clients that never read do not stop the server', async () => {
    const sockets: net.Socket[] = [];
    const port = Number(new URL(h.url).port);
    for (let i = 0; i < 60; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write(`GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow-${i}: `); // never finished
      sockets.push(s);
    }
    for (let i = 0; i < 20; i++) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      const body = JSON.stringify({ inputs: { text: 'a '.repeat(100_000) } });
      s.write(
        `POST /api/flows/code-tool/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      s.pause(); // never read the stream
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 500));
    const ms = [];
    for (let i = 0; i < 5; i++) ms.push(await healthy());
    expect(Math.max(...ms)).toBeLessThan(2_000);
    const run = await h.api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: 'still works' } } });
    expect(run.status).toBe(200);
    for (const s of sockets) s.destroy();
  });

  it('many concurrent runs: every one answers (200 or 429), none is a 5xx, and the server keeps serving', async () => {
    const runs = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        h
          .api('/api/flows/code-tool/runs', { method: 'POST', json: { inputs: { text: `run ${i} words here` } } })
          .then(async (r) => ({ status: r.status, body: await r.text() })),
      ),
    );
    const bad = runs.filter((r) => r.status !== 200 && r.status !== 429);
    expect(bad.map((b) => `${b.status} ${b.body.slice(0, 200)}`)).toEqual([]);
    await healthy();
  }, 60_000);
});
