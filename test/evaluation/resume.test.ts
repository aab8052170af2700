/**
 * Resume after SIGKILL, with a real child process: start `braid serve` (server/main.ts),
 * begin an evaluation, kill -9 the server mid-run, start it again on the same data
 * directory, and check the evaluation finishes with every row stored exactly once and
 * no completed row re-run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStorage } from '../../server/storage/index';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import type { EvaluationInfo } from '../../shared/api/evaluation';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROWS = 240;

let fake: FakeOpenAI;
let dir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  fake = await startFakeOpenAI({ latencyMs: 40 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-resume-'));
  fs.mkdirSync(path.join(dir, 'flows'));
  fs.copyFileSync(path.join(ROOT, 'flows', 'qa.flow.json'), path.join(dir, 'flows', 'qa.flow.json'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await fake?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function startServer(): Promise<{ url: string; child: ChildProcess }> {
  // node itself (not the tsx CLI, which would put a relay process in between) so SIGKILL hits the server.
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server', 'main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HOST: '127.0.0.1',
      BRAID_FLOWS_DIR: path.join(dir, 'flows'),
      BRAID_DATA_DIR: path.join(dir, 'data'),
      BRAID_LOG_LEVEL: 'silent',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-test',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out} ${err}`)), 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], child });
      }
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
}

async function getEval(url: string, id: string): Promise<EvaluationInfo> {
  return ((await (await fetch(`${url}/api/evaluations/${id}`)).json()) as { evaluation: EvaluationInfo }).evaluation;
}

it('an evaluation survives kill -9 of the server and finishes after restart without redoing rows', async () => {
  const first = await startServer();
  const data = Array.from({ length: ROWS }, (_, i) =>
    JSON.stringify({ q: `question ${i}`, answer: `Echo: question ${i}` }),
  ).join('\n');
  const up = await fetch(`${first.url}/api/datasets?name=resume&filename=r.jsonl`, {
    method: 'POST',
    body: data,
    headers: { 'content-type': 'application/x-ndjson' },
  });
  const { dataset } = (await up.json()) as { dataset: { id: string } };
  const res = await fetch(`${first.url}/api/evaluations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      flowId: 'qa',
      datasetId: dataset.id,
      config: { mapping: { question: 'q' }, expected: 'answer', metrics: ['exact_match'], concurrency: 4 },
    }),
  });
  expect(res.status).toBe(201);
  const { evaluation } = (await res.json()) as { evaluation: EvaluationInfo };
  // wait until a good part (but not all) of the rows are stored, then SIGKILL
  for (let i = 0; i < 200; i++) {
    const e = await getEval(first.url, evaluation.id);
    if (e.done >= 30) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  first.child.kill('SIGKILL');
  await new Promise((r) => first.child.once('exit', r));

  // What had been stored when the process died (read the database directly).
  const storage = await openStorage({ dataDir: path.join(dir, 'data') }, { skipMigrations: true });
  const before = await storage.db
    .withTables<{ evaluation_results: { evaluation_id: string; row_idx: number } }>()
    .selectFrom('evaluation_results')
    .select('row_idx')
    .where('evaluation_id', '=', evaluation.id)
    .execute();
  await storage.close();
  const storedBefore = new Set(before.map((r) => `question ${Number(r.row_idx)}`));
  expect(storedBefore.size).toBeGreaterThanOrEqual(30);
  expect(storedBefore.size).toBeLessThan(ROWS);

  const restartAt = Date.now();
  const second = await startServer();
  let final: EvaluationInfo | undefined;
  for (let i = 0; i < 400; i++) {
    final = await getEval(second.url, evaluation.id);
    if (final.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(final?.status).toBe('completed');
  expect(final?.done).toBe(ROWS);
  expect(final?.failed).toBe(0);
  expect(final?.summary?.metrics[0].passRate).toBe(1);
  const all = (await (await fetch(`${second.url}/api/evaluations/${evaluation.id}/results?limit=1000`)).json()) as {
    rows: Array<{ rowIdx: number }>;
  };
  expect(all.rows.map((r) => r.rowIdx)).toEqual([...Array(ROWS).keys()]);
  const askedAfter = fake.calls
    .filter((c) => c.at >= restartAt)
    .map((c) => String((c.body as { messages: Array<{ content: string }> }).messages.at(-1)?.content));
  expect(askedAfter.filter((q) => storedBefore.has(q))).toEqual([]);
  expect(new Set(askedAfter).size).toBe(ROWS - storedBefore.size);
  second.child.kill('SIGTERM');
}, 90_000);
