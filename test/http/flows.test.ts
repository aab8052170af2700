import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { EXAMPLES_DIR, startHarness, type Harness } from './harness';
import { serializeFlow } from '../../shared/flow/serialize';
import type { Flow } from '../../shared/flow/schema';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    files: { 'broken.flow.json': '{ "schemaVersion": 1, "id": "broken", ' },
    bodyLimit: '64kb',
  });
});
afterAll(async () => {
  await h.close();
});

const minimal = (id: string, name = 'Minimal') => ({
  schemaVersion: 1,
  id,
  name,
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [{ name: 'out', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    { id: 'shout', type: 'transform', position: { x: 200, y: 0 }, config: { mode: 'template', template: '{{text}}!' } },
    { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: 'shout', targetPort: 'text' },
    { source: 'shout', sourcePort: 'result', target: 'outputs', targetPort: 'out' },
  ],
});

describe('flows API', () => {
  it('health and request ids', async () => {
    const res = await h.api('/api/health', { headers: { 'x-request-id': 'abc-123' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toMatchObject({ status: 'ok', db: 'ok', dialect: 'sqlite' });
    const gen = await h.api('/api/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(gen.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('lists the example flows and reports the malformed file without hiding the others', async () => {
    const res = await h.api('/api/flows');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      flows: Array<{ id: string; valid: boolean; etag: string }>;
      problems: Array<{ file: string; error: string }>;
    };
    // every example flow shipped in flows/ is listed (sorted by id), the broken file is not
    const shipped = fs
      .readdirSync(EXAMPLES_DIR)
      .filter((f) => f.endsWith('.flow.json'))
      .map((f) => f.slice(0, -'.flow.json'.length))
      .sort();
    expect(shipped).toEqual(
      expect.arrayContaining(['code-tool', 'http-weather', 'json-extract', 'parallel-merge', 'qa', 'router']),
    );
    expect(body.flows.map((f) => f.id)).toEqual(shipped);
    expect(body.flows.every((f) => f.valid)).toBe(true);
    expect(body.problems).toHaveLength(1);
    expect(body.problems[0]?.file).toBe('broken.flow.json');
    expect(body.problems[0]?.error).toMatch(/invalid JSON/);
    const one = await h.api('/api/flows/broken');
    expect(one.status).toBe(422);
    expect(((await one.json()) as { error: { code: string } }).error.code).toBe('malformed_file');
  });

  it('GET returns the flow with an ETag; If-None-Match gives 304', async () => {
    const res = await h.api('/api/flows/qa');
    expect(res.status).toBe(200);
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const body = (await res.json()) as {
      flow: { id: string; nodes: unknown[] };
      etag: string;
      valid: boolean;
      problems: unknown[];
    };
    expect(body.flow.id).toBe('qa');
    expect(body.etag).toBe(etag);
    expect(body.valid).toBe(true);
    const again = await h.api('/api/flows/qa', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
  });

  it('unknown flow → 404, unsafe id → 400', async () => {
    const res = await h.api('/api/flows/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no flow with id "nope"' } });
    expect((await h.api('/api/flows/Bad.Id')).status).toBe(400);
    expect((await h.api('/api/flows/nope/runs', { method: 'POST', json: { inputs: {} } })).status).toBe(404);
  });

  it('POST creates (201, Location, ETag), a second POST with the same id is 409', async () => {
    const res = await h.api('/api/flows', { method: 'POST', json: minimal('created') });
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/flows/created');
    expect(res.headers.get('etag')).toBeTruthy();
    const file = fs.readFileSync(path.join(h.flowsDir, 'created.flow.json'), 'utf8');
    expect(JSON.parse(file).name).toBe('Minimal');
    expect(fs.readdirSync(h.flowsDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const dup = await h.api('/api/flows', { method: 'POST', json: minimal('created') });
    expect(dup.status).toBe(409);
  });

  it('PUT with the current ETag saves; a stale If-Match is 409; the path id wins over the body id', async () => {
    const first = await h.api('/api/flows', { method: 'POST', json: minimal('edited') });
    const etag1 = first.headers.get('etag')!;
    const put = await h.api('/api/flows/edited', {
      method: 'PUT',
      headers: { 'if-match': etag1 },
      json: { ...minimal('someone-else'), name: 'Edited' },
    });
    expect(put.status).toBe(200);
    const etag2 = put.headers.get('etag')!;
    expect(etag2).not.toBe(etag1);
    const saved = JSON.parse(fs.readFileSync(path.join(h.flowsDir, 'edited.flow.json'), 'utf8'));
    expect(saved.id).toBe('edited');
    expect(saved.name).toBe('Edited');
    expect(fs.existsSync(path.join(h.flowsDir, 'someone-else.flow.json'))).toBe(false);
    const stale = await h.api('/api/flows/edited', {
      method: 'PUT',
      headers: { 'if-match': etag1 },
      json: minimal('edited', 'Stale'),
    });
    expect(stale.status).toBe(409);
    const err = (await stale.json()) as { error: { code: string; details: { currentEtag: string } } };
    expect(err.error.code).toBe('etag_mismatch');
    expect(err.error.details.currentEtag).toBe(etag2);
    expect(JSON.parse(fs.readFileSync(path.join(h.flowsDir, 'edited.flow.json'), 'utf8')).name).toBe('Edited');
  });

  it('a save that changes nothing leaves the file and its ETag alone, whatever the key order sent', async () => {
    // A hand-written file with its own key order and spacing (as an editor or git may leave it).
    const doc = minimal('untouched');
    const handWritten = JSON.stringify(
      { ...doc, nodes: doc.nodes.map(({ position, ...n }) => ({ position, ...n })) },
      null,
      4,
    );
    const file = path.join(h.flowsDir, 'untouched.flow.json');
    fs.writeFileSync(file, handWritten);
    const get = await h.api('/api/flows/untouched');
    const etag = get.headers.get('etag')!;
    const reordered = Object.fromEntries(Object.entries(doc).reverse());
    const put = await h.api('/api/flows/untouched', { method: 'PUT', headers: { 'if-match': etag }, json: reordered });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(etag);
    expect(fs.readFileSync(file, 'utf8')).toBe(handWritten);
    // A real change is written in the canonical format.
    const changed = await h.api('/api/flows/untouched', {
      method: 'PUT',
      headers: { 'if-match': etag },
      json: { ...doc, name: 'Touched' },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
    expect(fs.readFileSync(file, 'utf8')).toBe(serializeFlow({ ...doc, name: 'Touched' } as unknown as Flow));
  });

  it('the example flows are stored in the canonical format (saving one unchanged gives no diff)', () => {
    for (const f of fs.readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.flow.json'))) {
      const text = fs.readFileSync(path.join(EXAMPLES_DIR, f), 'utf8');
      expect(text, f).toBe(serializeFlow(JSON.parse(text) as Flow));
    }
  });

  it('PUT of an invalid flow is 422 with every problem', async () => {
    const bad = minimal('invalid');
    bad.nodes.push({ id: 'inputs', type: 'nonsense', position: { x: 0, y: 0 } });
    bad.edges.push({ source: 'ghost', sourcePort: 'x', target: 'outputs', targetPort: 'out' });
    (bad.nodes[1] as { config: unknown }).config = { mode: 'template' };
    const res = await h.api('/api/flows/invalid', { method: 'PUT', json: bad });
    expect(res.status).toBe(422);
    const body = (await res.json()) as {
      error: { code: string; details: { problems: Array<{ code: string; path: string }> } };
    };
    expect(body.error.code).toBe('invalid_flow');
    const codes = body.error.details.problems.map((p) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['duplicate_id', 'unknown_type', 'dangling_edge', 'invalid_config']));
    expect(fs.existsSync(path.join(h.flowsDir, 'invalid.flow.json'))).toBe(false);
  });

  it('malformed JSON → 400 invalid_json; oversize → 413; non-object → 400', async () => {
    const res = await h.api('/api/flows/qa', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"schemaVersion": 1,',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    const big = { ...minimal('big'), description: 'x'.repeat(100 * 1024) };
    const tooBig = await h.api('/api/flows/big', { method: 'PUT', json: big });
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const arr = await h.api('/api/flows/arr', { method: 'PUT', json: [1, 2] });
    expect(arr.status).toBe(400);
  });

  it('DELETE removes the file (404 afterwards); validate checks stored flows and drafts', async () => {
    await h.api('/api/flows', { method: 'POST', json: minimal('doomed') });
    const v = await h.api('/api/flows/doomed/validate', { method: 'POST' });
    expect(await v.json()).toEqual({ valid: true, problems: [] });
    const draft = minimal('doomed');
    draft.edges = [];
    const vd = await h.api('/api/flows/doomed/validate', { method: 'POST', json: draft });
    const vdBody = (await vd.json()) as { valid: boolean; problems: Array<{ code: string }> };
    expect(vdBody.valid).toBe(false);
    expect(vdBody.problems.map((p) => p.code)).toContain('missing_input');
    expect((await h.api('/api/flows/doomed', { method: 'DELETE', headers: { 'if-match': '"stale"' } })).status).toBe(
      409,
    );
    expect((await h.api('/api/flows/doomed', { method: 'DELETE' })).status).toBe(204);
    expect((await h.api('/api/flows/doomed')).status).toBe(404);
    expect((await h.api('/api/flows/doomed', { method: 'DELETE' })).status).toBe(404);
  });

  it('saving never executes code: a code tool that would loop forever saves and validates instantly', async () => {
    const f = minimal('looper');
    f.nodes.splice(1, 1, {
      id: 'shout',
      type: 'tool',
      position: { x: 200, y: 0 },
      config: { kind: 'code', code: 'while (true) {}', inputs: [{ name: 'text', type: 'string', required: true }] },
    } as never);
    f.edges[1] = { source: 'shout', sourcePort: 'result', target: 'outputs', targetPort: 'out' };
    const t0 = Date.now();
    expect((await h.api('/api/flows', { method: 'POST', json: f })).status).toBe(201);
    expect((await h.api('/api/flows/looper/validate', { method: 'POST' })).status).toBe(200);
    expect((await h.api('/api/flows')).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('node types: the registry with JSON Schemas and default ports', async () => {
    const res = await h.api('/api/node-types');
    const body = (await res.json()) as {
      nodeTypes: Array<{
        type: string;
        configSchema: { type?: string; anyOf?: unknown; oneOf?: unknown };
        defaultPorts: { inputs: Array<{ name: string }> };
      }>;
    };
    expect(body.nodeTypes.map((t) => t.type)).toEqual([
      'input',
      'output',
      'prompt',
      'retrieval',
      'tool',
      'validator',
      'condition',
      'transform',
      'subflow',
      'map',
      'loop',
      'agent',
      'human',
    ]);
    const prompt = body.nodeTypes.find((t) => t.type === 'prompt')!;
    expect(prompt.configSchema.type).toBe('object');
    expect(prompt.defaultPorts.inputs.map((p) => p.name)).toEqual(['question']);
  });

  it('providers: names only', async () => {
    const res = await h.api('/api/providers');
    const body = (await res.json()) as { providers: Array<{ name: string; configured: boolean }> };
    expect(body.providers.map((p) => [p.name, p.configured])).toEqual([
      ['openai', false],
      ['anthropic', false],
      ['ollama', false],
    ]);
  });

  it('GET / without a built client lists the flows as HTML; unknown /api path is a JSON 404', async () => {
    const res = await h.api('/');
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('parallel-merge');
    expect(html).toContain('broken.flow.json');
    const nf = await h.api('/api/nothing-here');
    expect(nf.status).toBe(404);
    expect(((await nf.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });
});

describe('built client', () => {
  it('serves dist/client with an SPA fallback for non-/api paths only', async () => {
    const dir = fs.mkdtempSync(path.join(h.dataDir, '..', 'client-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Braid UI</title>');
    fs.writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
    const c = await (await import('./harness')).startHarness({ clientDir: dir, examples: false });
    try {
      expect(await (await c.api('/')).text()).toContain('Braid UI');
      expect(await (await c.api('/flows/qa')).text()).toContain('Braid UI');
      expect((await c.api('/app.js')).headers.get('content-type')).toMatch(/javascript/);
      const api = await c.api('/api/unknown');
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toMatch(/json/);
    } finally {
      await c.close();
    }
  });
});
