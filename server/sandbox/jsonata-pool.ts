/**
 * JSONata runs in a small pool of warm child processes, never on the server's own thread.
 * jsonata's guardrails check the clock and depth only between evaluation steps, so one
 * builtin call over a million items can hold a thread for seconds, and one that builds a
 * huge value (`$pad("", 300000000)`) exhausts V8's heap. A worker thread with
 * `resourceLimits` is not enough for that: when one allocation is bigger than what is left
 * of its heap, V8 aborts the whole process, server included. So:
 * - each child's heap is capped (`--max-old-space-size`): exhausting it ends that child
 *   alone, and the evaluation fails with `jsonata_resource_limit`;
 * - a child that has not answered by the time box plus a grace, or whose evaluation is
 *   cancelled, is killed, and the evaluation fails with `jsonata_timeout`;
 * - a dead child is replaced at once; evaluations queued behind it go to the others.
 * Messages carry only the expression text, the input and a result (JSON over the IPC channel).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { entryFile } from '../compiled';
import { JSONATA_LIMITS, type JsonataResultKind } from '../runtime/jsonata-engine';
import { REGEX_LIMITS } from '../runtime/regex-guard';
import { NodeError } from '../runtime/types';
import type { JsonataReply, JsonataRequest } from './jsonata-process';

export interface JsonataPoolOptions {
  /** Child processes (default 2). */
  size: number;
  /** Heap of each child, MiB (default JSONATA_LIMITS.heapMb). */
  heapMb: number;
  /** How long the oldest unanswered evaluation may run before its child is killed, ms. */
  hardTimeoutMs: number;
}

const DEFAULTS: JsonataPoolOptions = {
  size: 2,
  heapMb: JSONATA_LIMITS.heapMb,
  // jsonata checks its time box between steps; a regex match that starts just before it ends
  // has its own hard limit: the child is stopped once both could have run out
  hardTimeoutMs: JSONATA_LIMITS.timeoutMs + REGEX_LIMITS.timeoutMs + 500,
};

/**
 * Evaluations sent to one child ahead of its answers. The child runs them one after the
 * other, so the oldest unanswered one is the one running: it alone carries the deadline, and
 * when it is stopped the others go back to the queue unharmed.
 */
const MAX_IN_FLIGHT = 16;
/** How long a new child may take to start (node + tsx registration + module load). */
const START_TIMEOUT_MS = 30_000;
const ENTRY = fileURLToPath(entryFile(new URL('./jsonata-process.mjs', import.meta.url), 'jsonata-process'));

interface Job {
  req: JsonataRequest;
  path?: string;
  /** Cancelled while in a child: its answer is dropped. */
  cancelled?: boolean;
  resolve: (value: unknown) => void;
  reject: (err: NodeError) => void;
  cleanup: () => void;
}

function fail(code: string, message: string, path?: string): NodeError {
  return new NodeError(code, message, { path });
}

function outOfMemory(heapMb: number, path?: string): NodeError {
  return fail(
    'jsonata_resource_limit',
    `JSONata evaluation stopped: it needed more than the ${heapMb} MiB of memory an expression may use`,
    path,
  );
}

function overran(path?: string): NodeError {
  return fail(
    'jsonata_timeout',
    `JSONata evaluation stopped: it ran longer than its ${JSONATA_LIMITS.timeoutMs} ms time box`,
    path,
  );
}

class JsonataChild {
  readonly child: ChildProcess;
  ready = false;
  dead = false;
  /** Sent and not answered yet, oldest first (the first one is running). */
  readonly inFlight: Job[] = [];
  /** Requests not written yet: sent together at the end of the current tick. */
  private outbox: JsonataRequest[] = [];
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly pool: JsonataPool) {
    this.child = fork(ENTRY, [], {
      execArgv: [`--max-old-space-size=${pool.opts.heapMb}`, '--max-semi-space-size=16'],
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    // an idle pool keeps no process alive (a CLI run exits when its work is done): the child
    // and its channel are referenced only while evaluations wait for it (`hold`)
    this.child.unref();
    this.child.channel?.unref();
    this.timer = setTimeout(
      () => this.kill(fail('jsonata_error', 'the JSONata process did not start in time')),
      START_TIMEOUT_MS,
    );
    this.timer.unref();
    this.child.on('message', (msg: JsonataReply[] | { ready: true }) => {
      if (!Array.isArray(msg)) {
        clearTimeout(this.timer);
        this.ready = true;
        this.pool.dispatch();
        return;
      }
      for (const reply of msg) {
        const job = this.inFlight[0];
        if (!job || job.req.id !== reply.id) continue;
        this.inFlight.shift();
        if (!job.cancelled) {
          job.cleanup();
          if (reply.ok) job.resolve(reply.value);
          else job.reject(fail(reply.code, reply.message, job.path));
        }
      }
      this.armHead();
      this.pool.dispatch();
    });
    this.child.on('error', (err) =>
      this.kill(fail('jsonata_error', `the JSONata process failed: ${err.message}`, this.inFlight[0]?.path)),
    );
    this.child.on('exit', (code, signal) => {
      // V8 aborts (SIGABRT) when the heap cap is hit; the OS's OOM killer sends SIGKILL
      const oom = signal === 'SIGABRT' || signal === 'SIGKILL' || code === 134;
      const path = this.inFlight[0]?.path;
      this.kill(
        oom
          ? outOfMemory(this.pool.opts.heapMb, path)
          : fail('jsonata_error', `the JSONata process exited (${signal ?? `code ${code}`})`, path),
      );
    });
  }

  /** Keep this process alive while `busy` (work waits for the child's answer). */
  hold(busy: boolean): void {
    if (this.dead) return;
    if (busy) this.child.channel?.ref();
    else this.child.channel?.unref();
  }

  get free(): boolean {
    return this.ready && !this.dead && this.inFlight.length < MAX_IN_FLIGHT;
  }

  send(job: Job): void {
    this.inFlight.push(job);
    if (this.inFlight.length === 1) this.armHead();
    this.outbox.push(job.req);
    if (this.outbox.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const batch = this.outbox;
    this.outbox = [];
    if (this.dead || batch.length === 0) return;
    if (!this.child.connected) {
      this.kill(fail('jsonata_error', 'the JSONata process is gone', this.inFlight[0]?.path));
      return;
    }
    this.child.send(batch);
  }

  /** A job cancelled by its caller: stop it if it is running, else drop its answer. */
  cancel(job: Job, err: NodeError): void {
    if (this.inFlight[0] === job) {
      this.kill(err);
      return;
    }
    job.cancelled = true;
    job.cleanup();
    job.reject(err);
  }

  /** Stop the child for good: the running job fails with `err`, the ones behind it are queued again. */
  kill(err: NodeError): void {
    if (this.dead) return;
    this.dead = true;
    clearTimeout(this.timer);
    this.child.kill('SIGKILL');
    this.pool.remove(this);
    const [head, ...rest] = this.inFlight.splice(0);
    if (head && !head.cancelled) {
      head.cleanup();
      head.reject(err);
    }
    this.pool.requeue(rest.filter((j) => !j.cancelled));
    // A child that never started would not start next time either: fail what waits.
    if (!this.ready) this.pool.failQueued(err);
    else this.pool.dispatch();
  }

  /** The oldest unanswered job runs from now: give it its time box. */
  private armHead(): void {
    clearTimeout(this.timer);
    const head = this.inFlight[0];
    if (!head) return;
    this.timer = setTimeout(() => this.kill(overran(head.path)), this.pool.opts.hardTimeoutMs);
  }
}

/** A pool of JSONata child processes; the runtime uses one shared pool (`evaluateInPool`). */
export class JsonataPool {
  readonly opts: JsonataPoolOptions;
  private children: JsonataChild[] = [];
  private queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(opts: Partial<JsonataPoolOptions> = {}) {
    this.opts = { ...DEFAULTS, ...opts };
  }

  run(
    expression: string,
    input: unknown,
    bindings: JsonataRequest['bindings'],
    as: JsonataResultKind,
    path: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const cancelled = (): NodeError => fail('jsonata_timeout', 'JSONata evaluation cancelled', path);
    if (signal?.aborted) return Promise.reject(cancelled());
    if (this.closed) return Promise.reject(fail('jsonata_error', 'the JSONata pool was closed', path));
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        const queued = this.queue.indexOf(job);
        if (queued >= 0) {
          this.queue.splice(queued, 1);
          job.cleanup();
          reject(cancelled());
          return;
        }
        this.children.find((w) => w.inFlight.includes(job))?.cancel(job, cancelled());
      };
      const job: Job = {
        req: { id: this.nextId++, expression, input, ...(bindings ? { bindings } : {}), as },
        path,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Start the children ahead of the first evaluation. */
  warm(): void {
    if (this.closed) return;
    while (this.children.length < this.opts.size) this.children.push(new JsonataChild(this));
  }

  dispatch(): void {
    while (!this.closed && this.queue.length > 0) {
      // the least loaded child that can take one more
      let best: JsonataChild | undefined;
      for (const w of this.children) if (w.free && (!best || w.inFlight.length < best.inFlight.length)) best = w;
      if (!best || (best.inFlight.length > 0 && this.children.length < this.opts.size)) {
        if (this.children.length < this.opts.size) this.children.push(new JsonataChild(this));
        if (!best) break;
      }
      best.send(this.queue.shift()!);
    }
    for (const c of this.children) c.hold(this.queue.length > 0 || c.inFlight.length > 0);
  }

  requeue(jobs: Job[]): void {
    this.queue.unshift(...jobs);
  }

  failQueued(err: NodeError): void {
    const jobs = this.queue;
    this.queue = [];
    for (const job of jobs) {
      job.cleanup();
      job.reject(fail(err.code, err.message, job.path));
    }
  }

  /** A child died: drop it and start its replacement now, so the next evaluation does not wait. */
  remove(w: JsonataChild): void {
    this.children = this.children.filter((x) => x !== w);
    if (w.ready) this.warm();
  }

  /** Kill every child (tests); queued and running evaluations fail. */
  async close(): Promise<void> {
    this.closed = true;
    const err = fail('jsonata_error', 'the JSONata pool was closed');
    this.failQueued(err);
    const children = this.children;
    this.children = [];
    for (const w of children) w.kill(err);
  }
}

const pool = new JsonataPool();

/** Evaluate in the pool; see server/runtime/jsonata.ts for the public functions. */
export function evaluateInPool(
  expression: string,
  input: unknown,
  bindings: JsonataRequest['bindings'],
  as: JsonataResultKind,
  path?: string,
  signal?: AbortSignal,
): Promise<unknown> {
  return pool.run(expression, input, bindings, as, path, signal);
}

/** Start the pool's children now (server start), so the first expression does not wait for them. */
export function warmJsonataPool(): void {
  pool.warm();
}
