import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI, type FakeOpenAI } from '../../../test/support/fake-openai';
import { loadConfig } from '../../config';
import { startServer } from '../../app';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'braid.js');

let fake: FakeOpenAI;
let tmp: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-deploy-cli-'));
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
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: tmp, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

describe('braid deploy', () => {
  it('deploys without a server, prints slug/version/url/key, and the endpoint serves it from the database', async () => {
    const first = await braid(['deploy', path.join(ROOT, 'flows/qa.flow.json'), '--json', '--note', 'from the CLI']);
    expect(first.code, first.stderr).toBe(0);
    const d1 = JSON.parse(first.stdout) as { slug: string; version: number; url: string; apiKey: string };
    expect(d1).toMatchObject({ slug: 'qa', version: 1, url: 'http://127.0.0.1:3000/v1/endpoints/qa' });
    expect(d1.apiKey).toMatch(/^brd_/);
    // Nothing changed: no new version, and the command says so.
    const second = await braid(['deploy', 'qa', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ slug: 'qa', version: 1, unchanged: true, apiKey: null });
    const same = await braid(['deploy', 'qa']);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain('No changes since v1: nothing deployed (v1 stays live)');
    // A prompt edit: a new version, and the summary of what changed since the live version.
    const edited = path.join(tmp, 'qa.flow.json');
    fs.writeFileSync(
      edited,
      fs.readFileSync(path.join(ROOT, 'flows/qa.flow.json'), 'utf8').replace('at most three sentences', '一文で'),
    );
    const changed = await braid(['deploy', edited]);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('version  2\n');
    expect(changed.stdout).toContain('changes  since v1: 1 node changed');
    expect(changed.stdout).toContain('~ node answer (prompt)');
    expect(changed.stdout).toContain('- You are a concise assistant. Answer in at most three sentences.');
    expect(changed.stdout).toContain('+ You are a concise assistant. Answer in 一文で.');
    const text = await braid(['deploy', 'qa', '--rollback', '1']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('version  1 (live again)');
    expect((await braid(['deploy', 'qa', '--rollback', '7'])).code).toBe(2);

    const config = loadConfig({
      PORT: '0',
      BRAID_FLOWS_DIR: path.join(tmp, 'no-flows'),
      BRAID_DATA_DIR: path.join(tmp, 'data'),
      BRAID_LOG_LEVEL: 'silent',
      OPENAI_BASE_URL: fake.url,
      OPENAI_API_KEY: 'sk-cli-0123456789',
    });
    const server = await startServer(config);
    try {
      const res = await fetch(`${server.url}/v1/endpoints/qa`, {
        method: 'POST',
        headers: { authorization: `Bearer ${d1.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: { question: 'Who serves me?' } }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-braid-version')).toBe('1');
      expect(((await res.json()) as { outputs: { answer: string } }).outputs.answer).toBe('Echo: Who serves me?');
    } finally {
      await server.close();
    }
  }, 60_000);
});
