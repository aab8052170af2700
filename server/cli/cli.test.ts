import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import { openStorage } from '../storage/index';
import { RunsRepository } from '../storage/runs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'braid.js');

let fake: FakeOpenAI;
let tmp: string;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-cli-'));
});
afterAll(async () => {
  await fake?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function braid(args: string[], env: Record<string, string> = {}, provider = true): Promise<Result> {
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmp,
    BRAID_FLOWS_DIR: path.join(ROOT, 'flows'),
    BRAID_DATA_DIR: path.join(tmp, 'data'),
    BRAID_LOG_LEVEL: 'silent',
    ...(provider ? { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-cli-test-0123456789' } : {}),
  };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: tmp, env: { ...base, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : -1
          : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('braid CLI', () => {
  it('run prints the outputs and records the run in BRAID_DATA_DIR', async () => {
    const r = await braid(['run', path.join(ROOT, 'flows/qa.flow.json'), '--input', 'question=What is Braid?']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Echo: What is Braid?\n');
    const storage = await openStorage({ dataDir: path.join(tmp, 'data') });
    const page = await new RunsRepository(storage).listByFlow('qa');
    await storage.close();
    expect(page.runs[0]).toMatchObject({ status: 'succeeded', source: 'cli' });
  });

  it('run --json prints the whole run with its trace; flows can be named by id', async () => {
    const r = await braid(['run', 'code-tool', '--input', 'text=one two two', '--input', 'top=1', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      status: string;
      outputs: { stats: { topWords: unknown[] } };
      trace: { spans: Array<{ nodeId: string }> };
    };
    expect(out.status).toBe('succeeded');
    expect(out.outputs.stats.topWords).toEqual([{ word: 'two', count: 2 }]);
    expect(out.trace.spans.map((s) => s.nodeId)).toEqual(['inputs', 'stats', 'outputs']);
  });

  it('--inputs-json works and a lone non-string output prints as JSON', async () => {
    const r = await braid(['run', 'code-tool', '--inputs-json', '{"text":"a b c","top":0}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ stats: { words: 3, characters: 5, sentences: 1, topWords: [] } });
  });

  it('validate: exit 0 for a valid flow, exit 2 with every problem (node id + JSON path) for an invalid one', async () => {
    const ok = await braid(['validate', 'flows/../' + path.relative(tmp, path.join(ROOT, 'flows/router.flow.json'))]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/is valid/);
    const bad = path.join(tmp, 'bad.flow.json');
    fs.writeFileSync(
      bad,
      JSON.stringify({
        schemaVersion: 1,
        id: 'bad',
        name: 'Bad',
        nodes: [
          { id: 'p', type: 'prompt', position: { x: 0, y: 0 }, config: { model: 'nope' } },
          { id: 'p', type: 'mystery', position: { x: 0, y: 0 } },
        ],
        edges: [{ source: 'p', sourcePort: 'text', target: 'ghost', targetPort: 'x' }],
      }),
    );
    const r = await braid(['validate', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('nodes[0].config.model (node p)');
    expect(r.stdout).toContain('[duplicate_id]');
    expect(r.stdout).toContain('[unknown_type]');
    expect(r.stdout).toContain('edges[0].target');
    const json = await braid(['validate', bad, '--json']);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as { problems: unknown[] }).problems.length).toBeGreaterThanOrEqual(4);
    const runBad = await braid(['run', bad]);
    expect(runBad.code).toBe(2);
  });

  it('exit 1 when the flow fails (no provider configured names the env vars)', async () => {
    const r = await braid(['run', 'qa', '--input', 'question=hi'], {}, false);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/failed at node answer/);
    expect(r.stderr).toMatch(/OPENAI_API_KEY/);
  });

  it('exit 2 on bad usage: missing input, unknown flow, unknown option', async () => {
    const missing = await braid(['run', 'qa']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('inputs.question');
    const unknown = await braid(['run', 'no-such-flow']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no flow "no-such-flow"');
    const opt = await braid(['run', 'qa', '--bogus']);
    expect(opt.code).toBe(2);
    const help = await braid(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('validate');
  });
});

describe('braid serve', () => {
  it('serves the example flows and stops cleanly on SIGTERM', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], {
      cwd: tmp,
      env: {
        PATH: process.env.PATH ?? '',
        BRAID_FLOWS_DIR: path.join(ROOT, 'flows'),
        BRAID_DATA_DIR: path.join(tmp, 'serve-data'),
        BRAID_LOG_LEVEL: 'silent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /running at (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
      setTimeout(() => reject(new Error('serve did not start')), 30_000);
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const flows = (await (await fetch(`${url}/api/flows`)).json()) as { flows: Array<{ id: string }> };
    expect(flows.flows.map((f) => f.id)).toContain('qa');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to bind a non-loopback address without BRAID_ADMIN_TOKEN (exit 2)', async () => {
    const r = await braid(['serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BRAID_ADMIN_TOKEN/);
  });
});

describe('braid run --server', () => {
  it('runs the flow on a server (with the admin token from the environment)', async () => {
    const { startHarness } = await import('../../test/http/harness');
    const token = 'cli-remote-admin-token-0123456789';
    const h = await startHarness({ openaiUrl: fake.url, adminToken: token });
    try {
      const ok = await braid(['run', 'qa', '--server', h.url, '--input', 'question=remote?'], {
        BRAID_ADMIN_TOKEN: token,
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toBe('Echo: remote?\n');
      const denied = await braid(['run', 'qa', '--server', h.url, '--input', 'question=x']);
      expect(denied.code).toBe(1);
      expect(denied.stderr).toMatch(/unauthorized/);
      const missing = await braid(['run', 'qa', '--server', h.url], { BRAID_ADMIN_TOKEN: token });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('inputs.question');
    } finally {
      await h.close();
    }
  });
});

describe('braid run of a flow that pauses for a person', () => {
  it('prints the run id and "waiting", exits 3; a server on the same database resumes it without asking the model again', async () => {
    const dataDir = path.join(tmp, 'data-waiting');
    fake.reset();
    const r = await braid(['run', 'approve-reply', '--input', 'message=返品したいです'], { BRAID_DATA_DIR: dataDir });
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^[0-9a-f-]{36} waiting\n$/);
    expect(r.stderr).toContain('waiting for a person');
    const runId = r.stdout.split(' ')[0]!;
    const chats = () => fake.calls.filter((c) => c.path === '/v1/chat/completions').length;
    expect(chats()).toBe(1);

    const { loadConfig } = await import('../config');
    const { startServer } = await import('../app');
    const server = await startServer(
      loadConfig({
        PORT: '0',
        HOST: '127.0.0.1',
        BRAID_FLOWS_DIR: path.join(ROOT, 'flows'),
        BRAID_DATA_DIR: dataDir,
        BRAID_LOG_LEVEL: 'silent',
        OPENAI_BASE_URL: fake.url,
        OPENAI_API_KEY: 'sk-cli-test-0123456789',
      }),
    );
    try {
      const run = (await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as {
        status: string;
        tasks: Array<{ id: string; message: string }>;
      };
      expect(run.status).toBe('waiting');
      expect(run.tasks[0]!.message).toContain('返品したいです');
      const decided = await fetch(`${server.url}/api/tasks/${run.tasks[0]!.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'approve', decidedBy: 'cli-test' }),
      });
      expect(decided.status).toBe(200);
      let end = run.status;
      let outputs: Record<string, unknown> = {};
      for (let i = 0; i < 200 && end !== 'succeeded'; i++) {
        await new Promise((res) => setTimeout(res, 25));
        const v = (await (await fetch(`${server.url}/api/runs/${runId}`)).json()) as {
          status: string;
          outputs: Record<string, unknown>;
        };
        end = v.status;
        outputs = v.outputs;
      }
      expect(end).toBe('succeeded');
      expect(outputs).toMatchObject({ decidedBy: 'cli-test', reply: expect.stringContaining('返品したいです') });
      expect(chats()).toBe(1); // the draft was replayed from the CLI's journal
    } finally {
      await server.close();
    }
  });
});
