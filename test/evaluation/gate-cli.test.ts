/**
 * `braid eval` gate semantics as a child process, with a model-free flow (a QuickJS
 * code tool that throws on inputs containing 壊): failed rows count against the gate,
 * every-row-failed exits 1, failed rows print first.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'braid.js');

let tmp: string;
const file = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
};

/** A flow whose code tool echoes `text`, or throws when it contains 壊. */
const probeFlow = {
  schemaVersion: 1,
  id: 'gate-probe',
  name: 'Gate probe',
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [{ name: 'answer', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'echo',
      type: 'tool',
      position: { x: 300, y: 0 },
      config: {
        kind: 'code',
        code: "if (text.includes('壊')) throw new Error('壊れた入力: ' + text);\nreturn text;",
        inputs: [{ name: 'text', type: 'string', required: true }],
      },
    },
    { id: 'outputs', type: 'output', position: { x: 600, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: 'echo', targetPort: 'text' },
    { source: 'echo', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
};

/** count (number) → "<count×2>個". */
const doubleFlow = {
  ...probeFlow,
  id: 'double',
  inputs: [{ name: 'count', type: 'number', required: true }],
  nodes: [
    probeFlow.nodes[0],
    {
      ...probeFlow.nodes[1],
      config: {
        kind: 'code',
        code: "if (typeof count !== 'number') throw new Error('untyped');\nreturn count * 2 + '個';",
        inputs: [{ name: 'count', type: 'number', required: true }],
      },
    },
    probeFlow.nodes[2],
  ],
  edges: [
    { source: 'inputs', sourcePort: 'count', target: 'echo', targetPort: 'count' },
    { source: 'echo', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
  ],
};

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-gate-cli-'));
  file('probe.flow.json', JSON.stringify(probeFlow));
  file('double.flow.json', JSON.stringify(doubleFlow));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function braid(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: cwd,
    BRAID_FLOWS_DIR: cwd,
    BRAID_DATA_DIR: path.join(cwd, 'data'),
    BRAID_LOG_LEVEL: 'silent',
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : -1
        : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('braid eval: failed rows count against the gate', () => {
  it('a threshold that the scored rows meet still fails when rows crashed (failed_rate<=0 implied)', async () => {
    // 4 rows, 2 crash: exact_match over the scored rows alone would be 1.0.
    const data = file('half.csv', 'text,expected\n東京,東京\n壊れる,壊れる\n大阪,大阪\n壊す,壊す\n');
    const ev = ['eval', 'probe.flow.json', '--dataset', data, '--metric', 'exact_match', '--ephemeral'];
    const r = await braid([...ev, '--threshold', 'exact_match>=0.9', '--concurrency', '4'], tmp);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('FAILED ROWS: 2 of 4 (50%)');
    expect(lines[1]).toMatch(/^ {2}row [24]: sandbox_error: .*壊れた入力: 壊/);
    // A failed row is a miss: the pass rate is 2 / 4, not 2 / 2.
    expect(r.stdout).toMatch(/exact_match\s+0\.500 .*FAIL >=0\.9/);
    expect(r.stdout).toMatch(/FAIL failed_rate<=0 \(implied/);

    // Stating how many failed rows are tolerated replaces the implied failed_rate<=0.
    const ok = await braid(
      [...ev, '--threshold', 'exact_match>=0.5', '--threshold', 'failed_rate<=0.5', '--json', '--concurrency', '4'],
      tmp,
    );
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.stdout) as { passed: boolean; failedRows: unknown[]; thresholds: unknown[] };
    expect(report.passed).toBe(true);
    expect(report.thresholds).toHaveLength(2);
    expect(report.failedRows).toHaveLength(2);
    expect(ok.stderr).toMatch(/FAILED ROWS: 2 of 4/);
  }, 120_000);

  it('exits 1 when every row failed, even with no threshold', async () => {
    const data = file('all.jsonl', ['壊れた', '壊滅'].map((t) => JSON.stringify({ text: t, expected: t })).join('\n'));
    const r = await braid(
      ['eval', 'probe.flow.json', '--dataset', data, '--metric', 'exact_match', '--ephemeral'],
      tmp,
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED ROWS: 2 of 2 \(100%\) — every row failed\n {2}row 1: sandbox_error: /);
    expect(r.stdout).toMatch(/every row failed: the gate does not pass\n$/);
  }, 120_000);

  it('an unknown metric option or value exits 2 listing the accepted ones, before any row runs', async () => {
    const data = file('one.csv', 'text,expected\n東京,東京\n');
    const r = await braid(
      [
        'eval',
        'probe.flow.json',
        '--dataset',
        data,
        '--metric',
        '{"type":"bleu","tokenize":"mecab"}',
        '--metric',
        '{"type":"rougeL","stemmer":true}',
        '--ephemeral',
      ],
      tmp,
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'metrics[0].tokenize: "mecab" is not accepted (accepted: 13a, none, intl, char, zh, ja)',
    );
    expect(r.stderr).toContain('metrics[1].stemmer: rougeL has no option "stemmer" (options: name, tokenizer)');
  }, 120_000);

  it('typed CSV: "3" reaches a number input as 3; a bad cell is reported before any row runs and fails its row', async () => {
    const data = file('counts.csv', 'count,expected\n3,6個\n三,6個\n２,4個\n');
    const r = await braid(
      [
        'eval',
        'double.flow.json',
        '--dataset',
        data,
        '--metric',
        'exact_match',
        '--threshold',
        'exact_match>=0.5',
        '--ephemeral',
      ],
      tmp,
    );
    expect(r.stderr).toContain(
      `1 row(s) have cells that do not convert to their input's type; they fail without running:\n  row 2: column "count" (line 3): "三" is not a number (input "count" is number)\n`,
    );
    expect(r.stdout).toMatch(/^FAILED ROWS: 1 of 3 \(33%\)\n {2}row 2: invalid_cell: column "count" \(line 3\)/);
    expect(r.stdout).toMatch(/exact_match\s+0\.667 .*PASS >=0\.5/);
    expect(r.code).toBe(1);
  }, 120_000);
});
