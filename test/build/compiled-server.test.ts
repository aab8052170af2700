/**
 * The production build (scripts/build.mjs, issue 14): bin/braid.js runs dist/server only
 * while its stamp matches the sources (bin/build-stamp.mjs), and the compiled server works
 * on its own — worker thread (code tool in QuickJS), child processes (JSONata pool) and the
 * regex worker included — without loading tsx anywhere.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBuild, makeStamp, sourceFiles, writeStamp, BUILDS } from '../../bin/build-stamp.mjs';
import { buildServer } from '../../scripts/build.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('build stamps: is a build up to date with its sources?', () => {
  let root: string;
  const write = (rel: string, text: string) => {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  };
  const check = () => checkBuild(root, 'server');
  const later = (rel: string) => {
    const t = new Date(Date.now() + 60_000);
    fs.utimesSync(path.join(root, rel), t, t);
  };

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-stamp-'));
    write('server/app.ts', 'export const a = 1;\n');
    write('server/runtime/plan.ts', 'export const 計画 = "plan";\n');
    write('server/app.test.ts', 'test\n');
    write('shared/index.ts', 'export {};\n');
    write('server/node_modules/x/index.js', 'ignored\n');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('lists the sources of a build, tests and node_modules left out', () => {
    expect(sourceFiles(root, BUILDS.server).map((f) => f.rel)).toEqual([
      'server/app.ts',
      'server/runtime/plan.ts',
      'shared/index.ts',
    ]);
  });

  it('is missing without a stamp, fresh after one, and stale after an edit, a new file or a deleted one', () => {
    expect(check()).toEqual({ fresh: false, reason: 'missing' });
    writeStamp(root, 'server');
    expect(check()).toEqual({ fresh: true, reason: 'fresh' });

    write('server/runtime/plan.ts', 'export const 計画 = "new plan";\n');
    expect(check()).toEqual({ fresh: false, reason: 'changed' });
    writeStamp(root, 'server');
    expect(check().fresh).toBe(true);

    write('server/extra.ts', 'export {};\n');
    expect(check().reason).toBe('changed');
    fs.rmSync(path.join(root, 'server/extra.ts'));
    expect(check().fresh).toBe(true);

    fs.rmSync(path.join(root, 'shared/index.ts'));
    expect(check().reason).toBe('changed');
    write('shared/index.ts', 'export {};\n');
    expect(check().fresh).toBe(true);
  });

  it('ignores test files and stays fresh when a file is touched without a change (then refreshes the stamp)', () => {
    writeStamp(root, 'server');
    write('server/app.test.ts', 'another test\n');
    expect(check().fresh).toBe(true);

    const stampFile = path.join(root, BUILDS.server.stamp);
    const before = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { stat: string; content: string };
    later('server/app.ts');
    expect(check()).toEqual({ fresh: true, reason: 'fresh' });
    const after = JSON.parse(fs.readFileSync(stampFile, 'utf8')) as { stat: string; content: string };
    expect(after.content).toBe(before.content);
    expect(after.stat).not.toBe(before.stat); // the next check is a stat pass again
  });

  it('is stale when a source changed during the build (the stamp is taken before building)', () => {
    const stamp = makeStamp(root, 'server');
    write('server/app.ts', 'export const a = 2;\n'); // edited while the build ran
    writeStamp(root, 'server', undefined, stamp);
    expect(check().reason).toBe('changed');
  });

  it('treats an unreadable stamp as missing', () => {
    fs.writeFileSync(path.join(root, BUILDS.server.stamp), '{ not json');
    expect(check()).toEqual({ fresh: false, reason: 'missing' });
  });
});

describe('the compiled server', () => {
  // inside the repository, so the bundle resolves its packages from node_modules
  const outDir = path.join(ROOT, 'dist', `test-server-${process.pid}`);
  let tmp: string;
  let child: ChildProcess | undefined;
  let url = '';
  let output = '';
  let buildMs = 0;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-compiled-'));
    ({ ms: buildMs } = await buildServer({ outDir, quiet: true }));
    // Any attempt to load tsx — in this process, its worker threads or its child processes
    // (NODE_OPTIONS is inherited) — fails the run loudly.
    const hooks = path.join(tmp, 'no-tsx-hooks.mjs');
    fs.writeFileSync(
      hooks,
      `export async function resolve(specifier, context, next) {
  if (specifier === 'tsx' || specifier.startsWith('tsx/')) throw new Error('tsx loaded by the compiled server: ' + specifier);
  return next(specifier, context);
}\n`,
    );
    const register = path.join(tmp, 'no-tsx.mjs');
    fs.writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
    fs.mkdirSync(path.join(tmp, 'flows'));
    fs.writeFileSync(path.join(tmp, 'flows', 'compiled.flow.json'), JSON.stringify(FLOW, null, 2));
    child = spawn(process.execPath, [path.join(outDir, 'braid.js'), 'serve'], {
      cwd: tmp,
      env: {
        PATH: process.env.PATH,
        HOME: tmp,
        NODE_OPTIONS: `--import=${pathToFileURL(register).href}`,
        PORT: '0',
        HOST: '127.0.0.1',
        BRAID_FLOWS_DIR: path.join(tmp, 'flows'),
        BRAID_DATA_DIR: path.join(tmp, 'data'),
        // the default log level (info): a line per request, written in batches
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the compiled server did not start: ${output}`)), 60_000);
      child?.stdout?.on('data', () => {
        const m = /Braid is running at (http:\/\/\S+)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(m[1] as string);
        }
      });
      child?.once('exit', (code) => reject(new Error(`the compiled server exited (${code}): ${output}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds in a few seconds into ES modules with its worker entries', () => {
    expect(buildMs).toBeLessThan(30_000);
    for (const f of ['braid.js', 'sandbox-worker.js', 'jsonata-process.js', 'package.json'])
      expect(fs.existsSync(path.join(outDir, f)), f).toBe(true);
    const stamp = JSON.parse(fs.readFileSync(path.join(outDir, 'build.json'), 'utf8')) as { outputs: string[] };
    expect(stamp.outputs).toContain('braid.js');
  });

  it('runs a flow through the QuickJS worker, the JSONata processes and the regex worker, without tsx', async () => {
    // 225,003 characters × a program of 12 RE2 instructions: past the inline budget (2,000,000)
    const text = `${'東京 Tokyo '.repeat(25_000)}END`;
    const res = await fetch(`${url}/api/flows/compiled/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { text } }),
    });
    const body = (await res.json()) as {
      status: string;
      outputs: { shout: string; checked: string };
      trace?: { spans?: Array<{ nodeId: string; error?: unknown }> };
    };
    const errors = JSON.stringify(body.trace?.spans?.filter((s) => s.error).map((s) => [s.nodeId, s.error]));
    expect(res.status, JSON.stringify(body).slice(0, 500)).toBe(200);
    expect(body.status, errors).toBe('succeeded');
    expect(body.outputs.shout).toBe('50000 WORDS!');
    expect(body.outputs.checked).toBe(text);
    expect(output).not.toMatch(/tsx loaded/);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
  });

  it('writes the log lines still buffered when it shuts down (SIGTERM)', async () => {
    for (let i = 0; i < 5; i++) expect((await fetch(`${url}/api/health?probe=${i}`)).status).toBe(200);
    const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)));
    child?.kill('SIGTERM');
    expect(await exited).toBe(0);
    const requestLines = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg?: string; path?: string })
      .filter((l) => l.msg === 'request' && l.path === '/api/health');
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    expect(output).toMatch(/"msg":"shutting down"/);
  });
});

/** input → code tool (QuickJS worker) → JSONata with a function call (child process) → output; the text also goes through a regex rule long enough for the regex worker. */
const FLOW = {
  schemaVersion: 1,
  id: 'compiled',
  name: 'Compiled server check',
  inputs: [{ name: 'text', type: 'string', required: true }],
  outputs: [
    { name: 'shout', type: 'json' },
    { name: 'checked', type: 'any' },
  ],
  nodes: [
    { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
    {
      id: 'count',
      type: 'tool',
      position: { x: 300, y: 0 },
      config: {
        kind: 'code',
        code: 'return { words: text.split(" ").length - 1 };',
        timeoutMs: 10_000,
        inputs: [{ name: 'text', type: 'string', required: true }],
      },
    },
    {
      id: 'shout',
      type: 'transform',
      position: { x: 600, y: 0 },
      config: { mode: 'jsonata', expression: '$uppercase($string(input.words) & " words!")' },
    },
    {
      id: 'check',
      type: 'validator',
      position: { x: 300, y: 200 },
      config: { rules: [{ kind: 'regex', pattern: 'Tokyo END$' }] },
    },
    { id: 'outputs', type: 'output', position: { x: 900, y: 0 } },
  ],
  edges: [
    { source: 'inputs', sourcePort: 'text', target: 'count', targetPort: 'text' },
    { source: 'count', sourcePort: 'result', target: 'shout', targetPort: 'input' },
    { source: 'shout', sourcePort: 'result', target: 'outputs', targetPort: 'shout' },
    { source: 'inputs', sourcePort: 'text', target: 'check', targetPort: 'value' },
    { source: 'check', sourcePort: 'value', target: 'outputs', targetPort: 'checked' },
  ],
};
