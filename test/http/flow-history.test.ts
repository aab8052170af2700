/**
 * Git history of a flow: commits touching its file and the file at one commit, in a temp
 * flows folder that is a git repository with two commits; a folder without git says why.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

const hasGit = (() => {
  try {
    execFileSync('git', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasGit) console.warn('flow history tests skipped: git is not installed');

const flow = (nodes: string[]) => ({
  schemaVersion: 1,
  id: 'hist',
  name: 'History',
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [{ name: 'out', type: 'string' }],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    ...nodes.map((id, i) => ({
      id,
      type: 'transform',
      position: { x: 200 * (i + 1), y: 0 },
      config: { mode: 'template', template: `${id}: {{text}}` },
    })),
    { id: 'outputs', type: 'output', position: { x: 1000, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: nodes[0]!, targetPort: 'text' },
    { source: nodes[0]!, sourcePort: 'result', target: 'outputs', targetPort: 'out' },
  ],
});

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], {
    cwd: dir,
    encoding: 'utf8',
  });
}

let h: Harness;
let plain: Harness;
let first = '';
let second = '';
beforeAll(async () => {
  if (!hasGit) return;
  h = await startHarness({ examples: false });
  git(h.flowsDir, 'init', '-q');
  fs.writeFileSync(path.join(h.flowsDir, 'hist.flow.json'), JSON.stringify(flow(['a']), null, 2));
  git(h.flowsDir, 'add', 'hist.flow.json');
  git(h.flowsDir, 'commit', '-q', '-m', 'first version');
  first = git(h.flowsDir, 'rev-parse', 'HEAD').trim();
  fs.writeFileSync(path.join(h.flowsDir, 'hist.flow.json'), JSON.stringify(flow(['b', 'c']), null, 2));
  fs.writeFileSync(path.join(h.flowsDir, 'other.flow.json'), JSON.stringify({ ...flow(['x']), id: 'other' }));
  git(h.flowsDir, 'add', '.');
  git(h.flowsDir, 'commit', '-q', '-m', 'second: b and c');
  second = git(h.flowsDir, 'rev-parse', 'HEAD').trim();
  plain = await startHarness({ examples: false });
  fs.writeFileSync(path.join(plain.flowsDir, 'hist.flow.json'), JSON.stringify(flow(['a'])));
});
afterAll(async () => {
  await h?.close();
  await plain?.close();
});

describe.skipIf(!hasGit)('flow history (git)', () => {
  it('lists the commits touching the file, newest first', async () => {
    const res = await h.api('/api/flows/hist/history');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      available: boolean;
      path: string;
      commits: Array<{ commit: string; shortCommit: string; subject: string; author: string; date: number }>;
    };
    expect(body.available).toBe(true);
    expect(body.path).toBe('hist.flow.json');
    expect(body.commits.map((c) => c.commit)).toEqual([second, first]);
    expect(body.commits[0]).toMatchObject({ subject: 'second: b and c', author: 'Test' });
    expect(body.commits[0]!.shortCommit).toBe(second.slice(0, body.commits[0]!.shortCommit.length));
    expect(Math.abs(body.commits[0]!.date - Date.now())).toBeLessThan(5 * 60_000);
    // Only commits that touched this file.
    const other = (await (await h.api('/api/flows/other/history')).json()) as { commits: unknown[] };
    expect(other.commits).toHaveLength(1);
    // A flow never committed: an empty list, still available.
    const none = (await (await h.api('/api/flows/never/history')).json()) as { available: boolean; commits: unknown[] };
    expect(none).toMatchObject({ available: true, commits: [] });
  });

  it('returns the file at a commit (full or short id), parsed and validated', async () => {
    const res = await h.api(`/api/flows/hist/versions/${first}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { commit: string; flow: { nodes: Array<{ id: string }> }; valid: boolean };
    expect(body.commit).toBe(first);
    expect(body.flow.nodes.map((n) => n.id)).toEqual(['inputs', 'a', 'outputs']);
    expect(body.valid).toBe(true);
    const short = (await (await h.api(`/api/flows/hist/versions/${second.slice(0, 8)}`)).json()) as typeof body;
    expect(short.commit).toBe(second);
    expect(short.flow.nodes.map((n) => n.id)).toEqual(['inputs', 'b', 'c', 'outputs']);
  });

  it('refuses ids that are not 7–40 hex digits and answers 404 for unknown commits or files', async () => {
    for (const bad of ['HEAD', 'abc', '--output=x', `${first}0`, 'zzzzzzz', 'HEAD~1', 'main']) {
      const res = await h.api(`/api/flows/hist/versions/${encodeURIComponent(bad)}`);
      expect([400, 404]).toContain(res.status);
      if (res.status === 400)
        expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/invalid_(commit|path)/);
    }
    expect((await h.api('/api/flows/hist/versions/HEAD')).status).toBe(400);
    expect((await h.api('/api/flows/hist/versions/--output=x')).status).toBe(400);
    expect((await h.api('/api/flows/hist/versions/deadbeefdeadbeef')).status).toBe(404);
    // `other` did not exist at the first commit.
    const missing = await h.api(`/api/flows/other/versions/${first}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(
      /does not exist at commit/,
    );
    expect((await h.api('/api/flows/Bad_Id/history')).status).toBe(400);
  });

  it('a flows folder that is not a git repository: an empty list with a reason', async () => {
    const res = await plain.api('/api/flows/hist/history');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { available: boolean; reason: string; commits: unknown[] };
    expect(body).toMatchObject({ available: false, commits: [] });
    expect(body.reason).toMatch(/not a git repository/);
    const v = await plain.api(`/api/flows/hist/versions/${first}`);
    expect(v.status).toBe(404);
  });
});
