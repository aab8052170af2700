import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness } from '../../../test/http/harness';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'braid.js');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-dataset-cli-'));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function braid(args: string[]): Promise<Result> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmp,
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    BRAID_LOG_LEVEL: 'silent',
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

function write(name: string, text: string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
}

interface ShowJson {
  dataset: { id: string; name: string };
  version: { version: number; rowCount: number; columns: string[]; badRows: Array<{ line: number }> };
  versions: unknown[];
  rows: Array<{ data: Record<string, unknown> }>;
}

describe('braid dataset', () => {
  it('uploads a CSV, lists it and shows its columns and first rows', async () => {
    const file = write('qa.csv', 'question,expected\nWhat is 2+2?,4\n"Capital, of France?",Paris\nQ3,A3\n');
    const up = await braid(['dataset', 'upload', file]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^uploaded qa v1 /);
    expect(up.stdout).toContain('rows     3');
    expect(up.stdout).toContain('columns  question, expected');

    const list = await braid(['dataset', 'list', '--json']);
    expect(list.code).toBe(0);
    const datasets = JSON.parse(list.stdout) as Array<{ name: string; latestVersion: { rowCount: number } }>;
    expect(datasets.map((d) => [d.name, d.latestVersion.rowCount])).toEqual([['qa', 3]]);

    const show = await braid(['dataset', 'show', 'qa', '--rows', '2', '--json']);
    expect(show.code).toBe(0);
    const s = JSON.parse(show.stdout) as ShowJson;
    expect(s.version.columns).toEqual(['question', 'expected']);
    expect(s.version.rowCount).toBe(3);
    expect(s.rows.map((r) => r.data)).toEqual([
      { question: 'What is 2+2?', expected: '4' },
      { question: 'Capital, of France?', expected: 'Paris' },
    ]);

    // by id, human output
    const byId = await braid(['dataset', 'show', s.dataset.id]);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toContain('question=Capital, of France?  expected=Paris');
  });

  it('re-uploading a changed file under the same name makes version 2; identical content is reused', async () => {
    const file = write('qa.csv', 'question,expected\nWhat is 2+2?,4\nQ4,A4\n');
    const up = await braid(['dataset', 'upload', file, '--json']);
    expect(up.code).toBe(0);
    const r = JSON.parse(up.stdout) as { reused: boolean; version: { version: number; rowCount: number } };
    expect(r).toMatchObject({ reused: false, version: { version: 2, rowCount: 2 } });

    const again = await braid(['dataset', 'upload', file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^unchanged qa v2 /);

    const v1 = JSON.parse((await braid(['dataset', 'show', 'qa', '--ver', '1', '--json'])).stdout) as ShowJson;
    expect(v1.version.rowCount).toBe(3);
    expect(v1.versions).toHaveLength(2);
    const list = JSON.parse((await braid(['dataset', 'list', '--json'])).stdout) as unknown[];
    expect(list).toHaveLength(1);
  });

  it('reports bad rows with their line numbers and keeps the good ones', async () => {
    const file = write(
      'cases.jsonl',
      '{"input":"a","expected":"A"}\nnot json\n{"input":"b","expected":"B"}\n[1,2]\n{"input":"c","expected":"C"}\n',
    );
    const up = await braid(['dataset', 'upload', file, '--name', 'cases']);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^uploaded cases v1 /);
    expect(up.stdout).toContain('rows     3');
    expect(up.stdout).toContain('bad rows 2 skipped');
    expect(up.stdout).toMatch(/line 2: /);
    expect(up.stdout).toMatch(/line 4: /);
    const s = JSON.parse((await braid(['dataset', 'show', 'cases', '--json'])).stdout) as ShowJson;
    expect(s.version.badRows.map((b) => b.line)).toEqual([2, 4]);
  });

  it('exits 2 for a file that is not CSV/JSONL, a missing file, or no valid rows, and keeps nothing', async () => {
    const pdf = write('report.pdf', '%PDF-1.4\n%âãÏÓ\n1 0 obj\n');
    const r1 = await braid(['dataset', 'upload', pdf]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toContain('unsupported_format');

    const r2 = await braid(['dataset', 'upload', path.join(tmp, 'missing.csv')]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain('cannot read');

    const allBad = write('junk.jsonl', 'nope\nstill nope\n');
    const r3 = await braid(['dataset', 'upload', allBad]);
    expect(r3.code).toBe(2);
    expect(r3.stderr).toContain('line 1');

    const missing = await braid(['dataset', 'show', 'junk']);
    expect(missing.code).toBe(2);
    const names = (JSON.parse((await braid(['dataset', 'list', '--json'])).stdout) as Array<{ name: string }>).map(
      (d) => d.name,
    );
    expect(names.sort()).toEqual(['cases', 'qa']);
  });

  it('--server uploads, lists and shows through a running Braid server', async () => {
    const h = await startHarness();
    try {
      const file = write('remote.csv', 'q,a\n1,one\n2,two,extra\n3,three\n');
      const up = await braid(['dataset', 'upload', file, '--server', h.url]);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/^uploaded remote v1 /);
      expect(up.stdout).toContain('rows     2');
      expect(up.stdout).toMatch(/line 3: /);

      write('remote.csv', 'q,a\n1,one\n3,three\n4,four\n');
      const v2 = JSON.parse((await braid(['dataset', 'upload', file, '--server', h.url, '--json'])).stdout) as {
        version: { version: number; rowCount: number };
      };
      expect(v2.version).toMatchObject({ version: 2, rowCount: 3 });

      const list = JSON.parse((await braid(['dataset', 'list', '--server', h.url, '--json'])).stdout) as Array<{
        name: string;
      }>;
      expect(list.map((d) => d.name)).toEqual(['remote']);
      const show = await braid(['dataset', 'show', 'remote', '--ver', '1', '--rows', '1', '--server', h.url, '--json']);
      expect(show.code).toBe(0);
      const s = JSON.parse(show.stdout) as ShowJson;
      expect(s.version.rowCount).toBe(2);
      expect(s.versions).toHaveLength(2);
      expect(s.rows.map((r) => r.data)).toEqual([{ q: '1', a: 'one' }]);

      const pdf = await braid(['dataset', 'upload', write('doc.pdf', '%PDF-1.4\n'), '--server', h.url]);
      expect(pdf.code).toBe(2);
      expect(pdf.stderr).toContain('unsupported_format');
      const allBad = await braid(['dataset', 'upload', write('bad.jsonl', 'x\n'), '--server', h.url]);
      expect(allBad.code).toBe(2);
      expect(allBad.stderr).toContain('line 1');
      const after = (await (await h.api('/api/datasets')).json()) as { datasets: Array<{ name: string }> };
      expect(after.datasets.map((d) => d.name)).toEqual(['remote']);
    } finally {
      await h.close();
    }
  });
});
