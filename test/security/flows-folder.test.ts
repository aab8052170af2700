/**
 * Issue 9 item 12: over HTTP, flows come from the flows folder only (by id, through the
 * FlowStore; no symlink out of it), and no response names an absolute server path
 * (malformed files, the flow list, upload staging).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../http/harness';

let h: Harness;
let outside: string;
let datasetId: string;
const STALE_TMP = `.echo.flow.json.${2 ** 22 + 7}.0123456789ab.tmp`;

/** A valid flow (echo: a transform, no model) with a name to spot if it is ever read. */
const echoFlow = (id: string, name: string) => ({
  schemaVersion: 1,
  id,
  name,
  inputs: [{ name: 'question', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    { id: 'echo', type: 'transform', position: { x: 200, y: 0 }, config: { mode: 'template', template: '{{q}}' } },
    { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'question', target: 'echo', targetPort: 'q' },
    { source: 'echo', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
});

beforeAll(async () => {
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-outside-'));
  fs.writeFileSync(path.join(outside, 'stray.flow.json'), JSON.stringify(echoFlow('stray', '外のフロー')));
  h = await startHarness({
    examples: false,
    files: {
      'echo.flow.json': JSON.stringify(echoFlow('echo', 'エコー')),
      'broken.flow.json': '{ "name": "壊れた',
      // left by a write that a crash interrupted (its process is gone): removed at start
      [STALE_TMP]: '{ "half": ',
    },
  });
  fs.symlinkSync(path.join(outside, 'stray.flow.json'), path.join(h.flowsDir, 'linked.flow.json'));
  fs.symlinkSync('/etc/passwd', path.join(h.flowsDir, 'passwd.flow.json'));
  const up = await h.api('/api/datasets?name=qa&filename=qa.csv', {
    method: 'POST',
    body: 'q,expected\n日本語の質問,日本語の質問\n',
    headers: { 'content-type': 'text/csv' },
  });
  expect(up.status).toBe(201);
  datasetId = ((await up.json()) as { dataset: { id: string } }).dataset.id;
});
afterAll(async () => {
  await h?.close();
  fs.rmSync(outside, { recursive: true, force: true });
});

/** Every absolute path of this installation that must never reach a response. */
const serverPaths = () => [h.flowsDir, h.dataDir, outside, os.tmpdir(), '/etc/passwd', 'root:'];

function expectNoServerPath(text: string): void {
  for (const p of serverPaths()) expect(text, `response holds ${p}`).not.toContain(p);
}

const evaluate = (flow: unknown, metrics: unknown[] = ['exact_match']) =>
  h.api('/api/evaluations', {
    method: 'POST',
    json: { flow, datasetId, config: { mapping: { question: 'q' }, expected: 'expected', metrics } },
  });

describe('flows come from the flows folder only', () => {
  it('temp files of interrupted writes are gone once the server has started', () => {
    expect(fs.readdirSync(h.flowsDir)).not.toContain(STALE_TMP);
    expect(fs.readdirSync(h.flowsDir)).toContain('echo.flow.json');
  });

  it('an evaluation names its flow by id: paths are refused, never read', async () => {
    for (const ref of [
      '/etc/passwd',
      path.join(outside, 'stray.flow.json'),
      `${h.flowsDir}/echo.flow.json`,
      '../outside/stray.flow.json',
      'echo.flow.json',
      'C:\\flows\\echo.flow.json',
    ]) {
      const res = await evaluate(ref);
      const text = await res.text();
      expect(res.status, `${ref} → ${res.status} ${text}`).toBe(400);
      expect(JSON.parse(text).error.code).toBe('invalid_id');
      expectNoServerPath(text);
    }
    // The same for an evaluator flow named in a metric.
    const metric = await evaluate('echo', [{ type: 'evaluator_flow', flow: path.join(outside, 'stray.flow.json') }]);
    expect(metric.status).toBe(400);
    expectNoServerPath(await metric.text());
    // A link out of the folder is a problem file, not a flow.
    for (const id of ['linked', 'passwd']) {
      const res = await evaluate(id);
      const text = await res.text();
      expect(res.status, text).toBe(422);
      expect(text).not.toContain('外のフロー');
      expectNoServerPath(text);
    }
    // By id, the folder's flow runs.
    const ok = await evaluate('echo');
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as { evaluation: { flowId: string } }).evaluation.flowId).toBe('echo');
  });

  it('the flow list, a malformed flow and a run of it name files, never server paths', async () => {
    const list = await h.api('/api/flows');
    const text = await list.text();
    expectNoServerPath(text);
    const body = JSON.parse(text) as { flows: Array<{ id: string }>; problems: Array<{ file: string; error: string }> };
    expect(body.flows.map((f) => f.id)).toEqual(['echo']);
    expect(body.problems.map((p) => p.file).sort()).toEqual([
      'broken.flow.json',
      'linked.flow.json',
      'passwd.flow.json',
    ]);
    for (const p of [
      '/api/flows/broken',
      '/api/flows/linked',
      '/api/flows/passwd',
      '/api/flows/broken/validate',
      '/api/flows/broken/history',
    ]) {
      const res = await h.api(p, p.endsWith('/validate') ? { method: 'POST' } : {});
      const t = await res.text();
      expect(res.status, `${p} ${t}`).toBeLessThan(500);
      expectNoServerPath(t);
    }
    const run = await h.api('/api/flows/broken/runs', { method: 'POST', json: { inputs: { question: 'x' } } });
    expect(run.status).toBe(422);
    const runText = await run.text();
    expect(runText).toContain('broken.flow.json');
    expectNoServerPath(runText);
    // The plain page at / (no built UI) names files too.
    expectNoServerPath(await (await h.api('/')).text());
  });

  it('knowledge ingest jobs never show their staging paths', async () => {
    expect((await h.api('/api/knowledge-bases', { method: 'POST', json: { name: 'docs' } })).status).toBe(201);
    const form = new FormData();
    form.append('files', new Blob(['東京は日本の首都です。\n'], { type: 'text/plain' }), 'tokyo.txt');
    const up = await h.api('/api/knowledge-bases/docs/documents', { method: 'POST', body: form });
    const upText = await up.text();
    expect(up.status, upText).toBe(202);
    expectNoServerPath(upText);
    const job = JSON.parse(upText) as { id: string; items: Array<Record<string, unknown>> };
    expect(job.items[0]).toMatchObject({ name: 'tokyo.txt', kind: 'file' });
    expect(job.items[0]).not.toHaveProperty('path');
    expectNoServerPath(await (await h.api(`/api/knowledge-bases/docs/jobs/${job.id}`)).text());
    expectNoServerPath(await (await h.api('/api/knowledge-bases/docs/jobs')).text());
  });
});
