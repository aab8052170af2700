import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'bin', 'braid.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-kb-cli-'));

function braid(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: tmp,
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    BRAID_FLOWS_DIR: path.join(tmp, 'flows'),
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: tmp, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('braid kb', () => {
  it('create, ingest (per-file failures, exit 1), query --json', async () => {
    fs.writeFileSync(path.join(tmp, 'ferrets.md'), '# Ferrets\nFerrets sleep up to eighteen hours a day.');
    fs.writeFileSync(path.join(tmp, 'owls.txt'), 'Owls can rotate their heads 270 degrees.');
    fs.writeFileSync(path.join(tmp, 'empty.txt'), '');
    const created = await braid(['kb', 'create', 'animals', '--chunk-size', '300', '--overlap', '20']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('created animals (chunk size 300, overlap 20, BM25 only)');
    const ing = await braid(['kb', 'ingest', 'animals', 'ferrets.md', 'owls.txt', 'empty.txt']);
    expect(ing.code).toBe(1);
    expect(ing.stdout).toMatch(/done\s+ferrets\.md \(1 chunks\)/);
    expect(ing.stdout).toMatch(/failed\s+empty\.txt: the file is empty/);
    const q = await braid(['kb', 'query', 'animals', 'how long do ferrets sleep', '--json', '--top-k', '2']);
    expect(q.code, q.stderr).toBe(0);
    const hits = JSON.parse(q.stdout) as Array<{ text: string; score: number; metadata: { source: string } }>;
    expect(hits[0].metadata.source).toBe('ferrets.md');
    expect(Object.keys(hits[0]).sort()).toEqual(['metadata', 'score', 'text']);
    expect((await braid(['kb', 'query', 'animals', 'owls', '--mode', 'vector'])).code).toBe(2);
    expect((await braid(['kb', 'query', 'nope', 'owls'])).code).toBe(2);
  }, 120_000);
});
