/**
 * Child runs of runs started outside RunService — deployed endpoint calls and evaluation
 * rows — stored as their own run records, as builder runs store theirs, so
 * `GET /api/runs/:id/children` pages them under the call's trace id or the row's run id.
 *
 * Written behind, off the caller's path: finished child traces are queued and inserted in
 * multi-row batches (every FLUSH_MS or at MAX_BATCH rows), like the request log. A crash
 * loses at most the last FLUSH_MS of child records; the parent's own trace is unaffected.
 * Flows without subflow, map, loop or agent nodes get no listener at all (the endpoint hot
 * path stays as it was).
 */
import type { Flow, RunEvent, Trace } from '../../shared';
import type { RunsRepository } from '../storage/runs';
import { redact } from './redact';

const FLUSH_MS = 50;
const MAX_BATCH = 200;
/** Queued records beyond this are dropped (storage far behind): memory stays bounded. */
const MAX_QUEUED = 20_000;

/** Node types that start child runs (an agent's flow tools run as child runs). */
const CHILD_RUN_NODES = new Set(['subflow', 'map', 'loop', 'agent']);
const startsChildren = new WeakMap<Flow, boolean>();

/** Whether a run of this flow can start child runs (cached per flow object). */
export function startsChildRuns(flow: Flow): boolean {
  let yes = startsChildren.get(flow);
  if (yes === undefined) {
    yes = flow.nodes.some((n) => CHILD_RUN_NODES.has(n.type));
    startsChildren.set(flow, yes);
  }
  return yes;
}

export interface ChildRunWriterOptions {
  onError?: (err: unknown) => void;
  flushMs?: number;
  maxBatch?: number;
}

export class ChildRunWriter {
  private queue: Array<{ trace: Trace; source: string }> = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly runs: RunsRepository,
    private readonly secrets: string[],
    private readonly opts: ChildRunWriterOptions = {},
  ) {}

  /**
   * An event listener that stores each child run of a run as it finishes (`transform`:
   * extra masking, e.g. a deployment's PII redaction). Undefined for a flow that starts
   * no child runs.
   */
  listener(
    flow: Flow,
    source: string,
    transform?: (trace: Trace) => Trace,
  ): ((event: RunEvent) => void) | undefined {
    if (!startsChildRuns(flow)) return undefined;
    return (event) => {
      if (event.type !== 'run_finished' || !event.trace.parent) return;
      const safe = redact(event.trace, this.secrets);
      this.add(transform ? transform(safe) : safe, source);
    };
  }

  add(trace: Trace, source: string): void {
    if (this.queue.length >= MAX_QUEUED) {
      this.dropped++;
      return;
    }
    this.queue.push({ trace, source });
    if (this.queue.length >= (this.opts.maxBatch ?? MAX_BATCH)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? FLUSH_MS);
  }

  /** Write everything queued so far (readers call this before reading child runs). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const maxBatch = this.opts.maxBatch ?? MAX_BATCH;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, maxBatch);
      this.writing = this.writing.then(() =>
        this.runs.insertFinished(batch).catch((err: unknown) => this.opts.onError?.(err)),
      );
    }
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      this.opts.onError?.(new Error(`${n} child run record(s) dropped: storage is too far behind`));
    }
    return this.writing;
  }
}
