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
import type { RunsRepository, RunStart } from '../storage/runs';
import { redact } from './redact';
import { flowReferences } from '../../shared/flow/closure';

const FLUSH_MS = 50;
const MAX_BATCH = 200;
/** Queued records beyond this are dropped (storage far behind): memory stays bounded. */
const MAX_QUEUED = 20_000;

const startsChildren = new WeakMap<Flow, boolean>();

/** Whether a run of this flow can start child runs (cached per flow object). */
export function startsChildRuns(flow: Flow): boolean {
  let yes = startsChildren.get(flow);
  if (yes === undefined) {
    // What node declarations say they call (subflow, map, loop, an agent's flow tools).
    yes = flowReferences(flow).length > 0;
    startsChildren.set(flow, yes);
  }
  return yes;
}

export interface ChildRunWriterOptions {
  onError?: (err: unknown) => void;
  flushMs?: number;
  maxBatch?: number;
}

type Entry = { kind: 'start'; run: RunStart } | { kind: 'finished'; trace: Trace; source: string };

/** The run ids a record is read under: its own, its parent's and its tree's root. */
function idsOf(e: Entry): string[] {
  const runId = e.kind === 'start' ? e.run.runId : e.trace.runId;
  const parent = e.kind === 'start' ? e.run.parent : e.trace.parent;
  return parent ? [runId, parent.runId, parent.rootRunId] : [runId];
}

export class ChildRunWriter {
  /** By run id, in arrival order: a child that finishes before its start row is written is written once, finished. */
  private queue = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Run ids (`idsOf`) of the records being written, with how many. */
  private readonly inFlight = new Map<string, number>();
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
  listener(flow: Flow, source: string, transform?: (trace: Trace) => Trace): ((event: RunEvent) => void) | undefined {
    if (!startsChildRuns(flow)) return undefined;
    return (event) => {
      if (event.type !== 'run_finished' || !event.trace.parent) return;
      const safe = redact(event.trace, this.secrets);
      this.add(transform ? transform(safe) : safe, source);
    };
  }

  /** A child run started (the builder shows running children): its `running` row. */
  started(run: RunStart): void {
    this.enqueue(run.runId, { kind: 'start', run });
  }

  /** A child run finished: its record (upserted over its start row, if that was written). */
  add(trace: Trace, source: string): void {
    this.enqueue(trace.runId, { kind: 'finished', trace, source });
  }

  private enqueue(runId: string, entry: Entry): void {
    if (this.queue.size >= MAX_QUEUED && !this.queue.has(runId)) {
      this.dropped++;
      return;
    }
    this.queue.delete(runId);
    this.queue.set(runId, entry);
    if (this.queue.size >= (this.opts.maxBatch ?? MAX_BATCH)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.opts.flushMs ?? FLUSH_MS);
  }

  /** Write everything queued so far (readers call this before reading child runs). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.size > 0) {
      const entries = [...this.queue.values()];
      this.queue = new Map();
      const maxBatch = this.opts.maxBatch ?? MAX_BATCH;
      for (let i = 0; i < entries.length; i += maxBatch) {
        const batch = entries.slice(i, i + maxBatch);
        const ids = batch.flatMap(idsOf);
        for (const id of ids) this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
        this.writing = this.writing.then(() =>
          this.write(batch)
            .catch((err: unknown) => this.opts.onError?.(err))
            .finally(() => {
              for (const id of ids) {
                const n = (this.inFlight.get(id) ?? 1) - 1;
                if (n > 0) this.inFlight.set(id, n);
                else this.inFlight.delete(id);
              }
            }),
        );
      }
    }
    if (this.dropped > 0) {
      const n = this.dropped;
      this.dropped = 0;
      this.opts.onError?.(new Error(`${n} child run record(s) dropped: storage is too far behind`));
    }
    return this.writing;
  }

  /**
   * Resolves once every record of run `id` is written — its own, its children's and those
   * of the tree it roots: what a reader of that run waits for. Records of other runs are
   * neither waited for nor written early (a poll of one run does not hurry the batch).
   */
  settled(id: string): Promise<void> {
    for (const e of this.queue.values()) if (idsOf(e).includes(id)) return this.flush();
    return this.inFlight.has(id) ? this.writing : Promise.resolve();
  }

  private async write(batch: Entry[]): Promise<void> {
    const starts: RunStart[] = [];
    const finished: Array<{ trace: Trace; source: string }> = [];
    for (const e of batch) {
      if (e.kind === 'start') starts.push(e.run);
      else finished.push(e);
    }
    await this.runs.insertStartedMany(starts);
    await this.runs.insertFinished(finished);
  }
}
