/**
 * A real `braid serve` child process for tests and benchmarks that need a process (kill it,
 * restart it, measure its start): spawn it with a clean environment on a free loopback
 * port, wait for its "Braid is running at …" line and then for `/api/health` to answer 200,
 * within one deadline. A server that exits or misses the deadline is SIGKILLed and the
 * error carries what it wrote to stdout and stderr. No vitest import: `bench/` uses it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface SpawnServerOptions {
  /** Home folder: flows are read from `<dir>/flows`, data goes to `<dir>/data`. */
  dir: string;
  /** Extra environment; an `undefined` value removes a default (e.g. `BRAID_LOG_LEVEL`). */
  env?: Record<string, string | undefined>;
  /** The script to run (default `bin/braid.js`); `serve` is passed to it. */
  entry?: string;
  /** Node options before the script (e.g. `['--import', hook]`). */
  nodeArgs?: string[];
  /** For the ready line and the health check together (default 60 s). */
  timeoutMs?: number;
  /** Poll `/api/health` after the ready line (default true; a benchmark timing the line turns it off). */
  health?: boolean;
}

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Milliseconds from spawn to the ready line. */
  readyMs: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL when it has not exited after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash, as far as the server can tell); resolves once it exited. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

/** SIGKILL every server this module started that still runs (an `afterAll` safety net). */
export function killAllServers(): void {
  for (const c of running) if (alive(c)) c.kill('SIGKILL');
  running.clear();
}
// A test file that fails before its afterAll must not leave servers behind.
process.once('exit', killAllServers);

const READY = /Braid is running at (http:\/\/\S+)/;

export async function spawnServer(opts: SpawnServerOptions): Promise<SpawnedServer> {
  const { dir } = opts;
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: dir,
    PORT: '0',
    HOST: '127.0.0.1',
    BRAID_FLOWS_DIR: path.join(dir, 'flows'),
    BRAID_DATA_DIR: path.join(dir, 'data'),
    BRAID_LOG_LEVEL: 'warn',
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const entry = opts.entry ?? path.join(ROOT, 'bin', 'braid.js');
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), entry, 'serve'], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const waitExit = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (!alive(child)) {
      await exited;
      return;
    }
    child.kill(signal);
    const timer = signal === 'SIGKILL' ? null : setTimeout(() => alive(child) && child.kill('SIGKILL'), graceMs);
    await exited;
    if (timer) clearTimeout(timer);
  };
  const fail = async (why: string): Promise<never> => {
    await waitExit('SIGKILL', 0);
    throw new Error(`braid serve ${why}:\n${out.slice(-4000)}`);
  };

  let readyMs = 0;
  const url = await new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = READY.exec(out);
      if (m) {
        readyMs = Math.round(performance.now() - t0);
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
    void exited.then(() => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (!url) return fail(alive(child) ? `did not start within ${timeoutMs} ms` : `exited (${child.exitCode})`);

  if (opts.health !== false) {
    let last = '';
    for (;;) {
      if (!alive(child)) return fail(`exited (${child.exitCode}) before /api/health answered`);
      const left = deadline - Date.now();
      if (left <= 0) return fail(`/api/health did not answer 200 within ${timeoutMs} ms (last: ${last})`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(Math.min(left, 5000)) });
        await res.body?.cancel();
        if (res.status === 200) break;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    url,
    child,
    exited,
    readyMs,
    output: () => out,
    stop: (graceMs = 10_000) => waitExit('SIGTERM', graceMs),
    kill: () => waitExit('SIGKILL', 0),
  };
}
