/**
 * Code-tool scripts run in worker threads, so a script never blocks the server's event
 * loop, and a worker that does not answer by the script's time limit (plus a grace) or whose
 * run is cancelled is terminated — a hard stop even if QuickJS's interrupt check never came.
 * A small pool of workers serves every run; a dead worker is replaced on the next call.
 */
import { Worker } from 'node:worker_threads';
import { entryFile } from '../compiled';
import { SandboxError, type SandboxOptions } from './quickjs';
import type { SandboxReply, SandboxRequest } from './quickjs-worker';

const POOL_SIZE = 2;
/** How long after the script's own limit a silent worker is killed. */
const GRACE_MS = 1_000;
/** How long a new worker may take to start (tsx + WebAssembly compile). */
const START_TIMEOUT_MS = 20_000;

interface Job {
  req: SandboxRequest;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (err: SandboxError) => void;
  cleanup: () => void;
}

class SandboxWorker {
  readonly worker: Worker;
  ready = false;
  dead = false;
  job?: Job;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly pool: SandboxPool) {
    this.worker = new Worker(entryFile(new URL('./worker.mjs', import.meta.url), 'sandbox-worker'));
    this.worker.unref();
    this.timer = setTimeout(
      () => this.kill(new SandboxError('sandbox_error', 'the sandbox worker did not start in time')),
      START_TIMEOUT_MS,
    );
    this.worker.on('message', (msg: SandboxReply | { ready: true }) => {
      if ('ready' in msg) {
        clearTimeout(this.timer);
        this.ready = true;
        this.pool.dispatch();
        return;
      }
      const job = this.job;
      if (!job || job.req.id !== msg.id) return;
      this.finish();
      if (msg.ok) job.resolve(msg.result);
      else job.reject(new SandboxError(msg.code, msg.message));
      this.pool.dispatch();
    });
    this.worker.on('error', (err) =>
      this.kill(new SandboxError('sandbox_error', `the sandbox worker failed: ${err.message}`)),
    );
    this.worker.on('exit', () => this.kill(new SandboxError('sandbox_error', 'the sandbox worker exited')));
  }

  run(job: Job): void {
    this.job = job;
    this.timer = setTimeout(
      () =>
        this.kill(new SandboxError('sandbox_timeout', `the script ran longer than its ${job.req.timeoutMs} ms limit`)),
      job.req.timeoutMs + GRACE_MS,
    );
    try {
      this.worker.postMessage(job.req);
    } catch (err) {
      this.finish();
      job.reject(
        new SandboxError('sandbox_error', `the inputs cannot be sent to the sandbox: ${(err as Error).message}`),
      );
      this.pool.dispatch();
    }
  }

  /** Stop the worker for good, failing its job (if any) with `err`. */
  kill(err: SandboxError): void {
    if (this.dead) return;
    this.dead = true;
    const job = this.job;
    this.finish();
    void this.worker.terminate();
    this.pool.remove(this);
    job?.reject(err);
    // A worker that never started would not start next time either: fail what waits.
    if (!this.ready) this.pool.failQueued(err);
    else this.pool.dispatch();
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.job?.cleanup();
    this.job = undefined;
  }
}

class SandboxPool {
  private workers: SandboxWorker[] = [];
  private queue: Job[] = [];
  private nextId = 1;

  run(code: string, globals: Record<string, unknown>, opts: SandboxOptions): Promise<unknown> {
    const signal = opts.signal;
    if (signal?.aborted)
      return Promise.reject(new SandboxError('sandbox_timeout', 'the script was cancelled before it started'));
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) {
          this.queue.splice(queued, 1);
          job.cleanup();
          reject(new SandboxError('sandbox_timeout', 'the script was cancelled'));
          return;
        }
        this.workers.find((w) => w.job === job)?.kill(new SandboxError('sandbox_timeout', 'the script was cancelled'));
      };
      const job: Job = {
        req: { id: this.nextId++, code, globals, timeoutMs: opts.timeoutMs, memoryMb: opts.memoryMb },
        signal,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  dispatch(): void {
    while (this.queue.length > 0) {
      const idle = this.workers.find((w) => w.ready && !w.dead && !w.job);
      if (!idle) {
        if (this.workers.length < POOL_SIZE) this.workers.push(new SandboxWorker(this));
        return;
      }
      idle.run(this.queue.shift()!);
    }
  }

  failQueued(err: SandboxError): void {
    const jobs = this.queue;
    this.queue = [];
    for (const job of jobs) {
      job.cleanup();
      job.reject(err);
    }
  }

  remove(w: SandboxWorker): void {
    this.workers = this.workers.filter((x) => x !== w);
  }
}

const pool = new SandboxPool();

/**
 * Run a script in a sandbox worker (see `runInSandbox` for what the script sees and
 * returns). Rejects with a SandboxError: `sandbox_error`, `sandbox_timeout` (time limit or
 * cancelled) or `sandbox_memory`.
 */
export function runSandboxed(code: string, globals: Record<string, unknown>, opts: SandboxOptions): Promise<unknown> {
  return pool.run(code, globals, opts);
}
