/** `braid eval` as a child process: the CI gate's table, --out, --json and exit codes, with no server. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startHarness } from '../http/harness';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'braid.js');

let fake: FakeOpenAI;
let tmp: string;
let data: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-eval-cli-'));
  data = path.join(tmp, 'qa.jsonl');
  // 10 rows; the fake model echoes the question, so 9 of 10 answers match exactly.
  fs.writeFileSync(
    data,
    Array.from({ length: 10 }, (_, i) =>
      JSON.stringify({ q: `q${i}`, answer: i === 3 ? 'other' : `Echo: q${i}` }),
    ).join('\n') + '\n',
  );
});
afterAll(async () => {
  await fake?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function braid(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: tmp,
    BRAID_FLOWS_DIR: path.join(ROOT, 'flows'),
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    BRAID_LOG_LEVEL: 'silent',
    OPENAI_BASE_URL: fake.url,
    OPENAI_API_KEY: 'sk-cli-test-0123456789',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: tmp, env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const base = [
  'eval',
  'flows/qa.flow.json',
  '--dataset',
  '',
  '--map',
  'question=q',
  '--expected',
  'answer',
  '--metric',
  'exact_match',
  '--metric',
  'rougeL',
];
const args = (...extra: string[]) =>
  [...base.slice(0, 3), data, ...base.slice(4), ...extra].map((a) =>
    a === 'flows/qa.flow.json' ? path.join(ROOT, a) : a,
  );

describe('braid eval', () => {
  it('passes the gate (exit 0), prints a table and a progress bar, writes --out', async () => {
    const out = path.join(tmp, 'results.jsonl');
    const r = await braid(args('--threshold', 'exact_match>=0.8', '--concurrency', '4', '--out', out));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^metric\s+score/m);
    expect(r.stdout).toMatch(/exact_match\s+0\.900.*PASS >=0\.8/);
    expect(r.stdout).toMatch(/rougeL\s+/);
    expect(r.stdout).toContain('all thresholds passed');
    expect(r.stderr).toMatch(/\[#+\] 10\/10 100%/);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(10);
    expect(JSON.parse(lines[3]).metrics.exact_match).toMatchObject({ value: 0, passed: false });
  });

  it('fails the gate (exit 1) and reports it in --json', async () => {
    const r = await braid(
      args(
        '--threshold',
        'exact_match>=0.95',
        '--threshold',
        'latency.p95<=60000',
        '--metric',
        'latency',
        '--json',
        '--ephemeral',
      ),
    );
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as {
      passed: boolean;
      thresholds: Array<{ expr: string; actual: number; passed: boolean }>;
    };
    expect(report.passed).toBe(false);
    expect(report.thresholds[0]).toMatchObject({ expr: 'exact_match>=0.95', actual: 0.9, passed: false });
    expect(report.thresholds[1].passed).toBe(true);
  });

  it('usage errors exit 2: unknown column, bad threshold, not a dataset file', async () => {
    const calls = fake.calls.length;
    const bad = await braid([...args().slice(0, 4), '--map', 'question=nope', '--expected', 'answer', '--ephemeral']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/mapping\.question: column "nope" is not in the dataset/);
    expect(fake.calls.length).toBe(calls);
    const thr = await braid(args('--threshold', 'exact_match=>1'));
    expect(thr.code).toBe(2);
    expect(thr.stderr).toMatch(/bad threshold/);
    const pdf = path.join(tmp, 'x.pdf');
    fs.writeFileSync(pdf, '%PDF-1.4');
    const notData = await braid([...args().slice(0, 3), pdf, '--map', 'question=q', '--ephemeral']);
    expect(notData.code).toBe(2);
    expect(notData.stderr).toMatch(/not a CSV or JSONL|PDF/);
  });
  it('--server runs the same gate on a running Braid server', async () => {
    const h = await startHarness({ openaiUrl: fake.url });
    try {
      const out = path.join(tmp, 'remote.csv');
      const r = await braid([
        'eval',
        'qa',
        '--server',
        h.url,
        '--dataset',
        data,
        '--map',
        'question=q',
        '--expected',
        'answer',
        '--metric',
        'exact_match',
        '--threshold',
        'exact_match>=0.8',
        '--out',
        out,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/exact_match\s+0\.900.*PASS/);
      expect(fs.readFileSync(out, 'utf8').trim().split('\n')).toHaveLength(11);
      const list = (await (await h.api('/api/evaluations')).json()) as {
        evaluations: Array<{ status: string; done: number }>;
      };
      expect(list.evaluations[0]).toMatchObject({ status: 'completed', done: 10 });
      const bad = await braid([
        'eval',
        'qa',
        '--server',
        h.url,
        '--dataset',
        data,
        '--map',
        'question=nope',
        '--expected',
        'answer',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/invalid_mapping[\s\S]*mapping\.question/);
    } finally {
      await h.close();
    }
  });
  it('explains failed rows first (no model reachable → exit 1 with the reason)', async () => {
    const env = { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' };
    const r = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [BIN, ...args('--threshold', 'exact_match>=0.5', '--ephemeral', '--limit', '2')],
        {
          cwd: tmp,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: tmp,
            BRAID_FLOWS_DIR: path.join(ROOT, 'flows'),
            BRAID_DATA_DIR: path.join(tmp, 'data'),
            OPENAI_API_KEY: 'sk-x',
            ...env,
          },
          timeout: 60_000,
        },
        (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout }),
      );
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^FAILED ROWS: 2 of 2 \(100%\) — every row failed\n {2}row 1: provider_unavailable: cannot reach openai/,
    );
    expect(r.stdout).toMatch(/every row failed: the gate does not pass\n$/);
  });
});
