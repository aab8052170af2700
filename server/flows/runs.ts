/**
 * The run use case: load a stored flow, run it through the runtime, persist the run from
 * the runtime's events (the runtime never touches storage), and keep in-flight runs
 * cancellable in this process. HTTP handlers and the CLI both call this.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Flow, RunEvent, Trace } from '../../shared';
import type { FlowProblem } from '../../shared/api/errors';
import { runFlow } from '../runtime/index';
import type { RunResult, RunServices } from '../runtime/types';
import type { RunsRepository } from '../storage/runs';
import type { RunTelemetry } from '../telemetry/index';
import { redact, streamEvents, StreamRedactor } from './redact';
import { FlowStoreError, type FlowStore } from './store';
import type { ChildRunWriter } from './child-runs';

export interface StartRunOptions {
  /** Aborts the run (client disconnect, CLI Ctrl-C). */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /** Single-node debug run. */
  only?: { nodeId: string; inputs: Record<string, unknown> };
  /** Recorded with the run: api, cli, node, deployment, evaluation… */
  source?: string;
  /** The run's id (durable runs: the same in every attempt; default: a new one). */
  runId?: string;
  /** Services of this run over the app's (durable runs: the journal and the frozen flow closure). */
  services?: Partial<RunServices>;
}

export class RunServiceError extends Error {
  constructor(
    readonly code: 'not_found' | 'invalid_flow' | 'unknown_node',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RunServiceError';
  }
}

export interface RunServiceDeps {
  flows: FlowStore;
  runs: RunsRepository;
  services: RunServices;
  secrets: string[];
  logger?: Logger;
  /** OpenTelemetry export of every run and child run (absent when off). */
  telemetry?: RunTelemetry;
  /**
   * Batched writer for child runs (multi-row inserts; a child that ends within the batch
   * window is written once). Without it each child's start and finish are two statements.
   */
  childRuns?: ChildRunWriter;
}

export class RunService {
  private readonly inflight = new Map<string, AbortController>();
  /** Running child runs of this service's runs (subflow, map, loop, agent tools), cancellable by id. */
  private readonly childCancels = new Map<string, AbortController>();
  /** Runs whose final write is still queued (written just after the response goes out). */
  private readonly pending = new Map<string, Promise<void>>();

  constructor(private readonly deps: RunServiceDeps) {}

  /** Load a stored flow ready to run (404 / 422 as RunServiceError). */
  async loadRunnable(flowId: string, opts: { nodeId?: string } = {}): Promise<Flow> {
    let stored;
    try {
      stored = await this.deps.flows.get(flowId);
    } catch (err) {
      if (err instanceof FlowStoreError && err.code === 'malformed_file')
        throw new RunServiceError('invalid_flow', err.message, []);
      if (err instanceof FlowStoreError && err.code === 'invalid_id')
        throw new RunServiceError('not_found', err.message);
      throw err;
    }
    if (!stored) throw new RunServiceError('not_found', `no flow with id "${flowId}"`);
    if (opts.nodeId !== undefined) {
      // A debug run only needs a parseable flow and a sound node.
      if (!stored.flow)
        throw new RunServiceError('invalid_flow', `flow "${flowId}" does not parse`, errorsOf(stored.problems));
      if (!stored.flow.nodes.some((n) => n.id === opts.nodeId))
        throw new RunServiceError('unknown_node', `flow "${flowId}" has no node "${opts.nodeId}"`);
      const nodeProblems = errorsOf(stored.problems).filter(
        (p) => p.nodeId === opts.nodeId && p.code !== 'missing_input',
      );
      if (nodeProblems.length > 0)
        throw new RunServiceError('invalid_flow', `node "${opts.nodeId}" is invalid`, nodeProblems);
      return stored.flow;
    }
    if (!stored.valid || !stored.flow) {
      const problems = errorsOf(stored.problems);
      throw new RunServiceError(
        'invalid_flow',
        `flow "${flowId}" is invalid (${problems.length} problem(s))`,
        problems,
      );
    }
    return stored.flow;
  }

  /** Run a stored flow by id. Throws RunServiceError, or the runtime's RunInputError. */
  async runStored(flowId: string, inputs: Record<string, unknown>, opts: StartRunOptions = {}): Promise<RunResult> {
    const flow = await this.loadRunnable(flowId, { nodeId: opts.only?.nodeId });
    return this.run(flow, inputs, opts);
  }

  /** Run a flow (already loaded and validated), persisting it from its events. */
  async run(flow: Flow, inputs: Record<string, unknown>, opts: StartRunOptions = {}): Promise<RunResult> {
    const runId = opts.runId ?? randomUUID();
    const controller = new AbortController();
    const onAbort = () => controller.abort(opts.signal?.reason);
    if (opts.signal?.aborted) controller.abort(opts.signal.reason);
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.inflight.set(runId, controller);
    const { runs, secrets, logger, childRuns } = this.deps;
    const source = opts.only ? 'node' : (opts.source ?? 'api');
    const extra = { source, ...(opts.only ? { nodeId: opts.only.nodeId } : {}) };
    const labels = { 'braid.source': source };
    let persisted: Promise<void> = Promise.resolve();
    let started = false;
    let finished = false;
    const persist = (fn: () => Promise<void>) => {
      persisted = persisted.then(fn).catch((err: unknown) => {
        logger?.error({ err: errMessage(err), runId }, 'failed to persist run');
      });
    };
    const stream = new StreamRedactor(secrets);
    /** Child runs of this tree (subflow, map, loop): each is its own run record. */
    const children: string[] = [];
    const deliver = (event: RunEvent): void => {
      if (event.type === 'run_started' && event.parent) {
        children.push(event.runId);
        const { runId: id, flowId, at, inputs: childInputs, parent } = event;
        const start = { runId: id, flowId, startedAt: at, inputs: childInputs, source, parent };
        if (childRuns) childRuns.started(start);
        else persist(() => runs.insertStarted(start));
      } else if (event.type === 'run_finished' && event.trace.parent) {
        // Persisted as each child finishes: the parent's span keeps only a summary.
        const trace = event.trace;
        if (childRuns) childRuns.add(trace, source);
        else persist(() => runs.finish(trace, { source }));
      } else if (event.type === 'run_started') {
        started = true;
        persist(() =>
          runs.insertStarted({ runId, flowId: flow.id, startedAt: event.at, inputs: event.inputs, ...extra }),
        );
      } else if (event.type === 'run_finished') {
        finished = true;
        // Written on the next turn of the event loop, after the caller has responded;
        // readers call `settled(runId)` first, so nobody sees a stale row.
        persist(() => nextTurn(() => runs.finish(event.trace, extra)));
      }
      this.deps.telemetry?.onEvent(event, labels);
      try {
        opts.onEvent?.(event);
      } catch (err) {
        logger?.warn({ err: errMessage(err), runId }, 'run event listener threw');
      }
    };
    try {
      const result = await runFlow(flow, inputs, {
        runId,
        signal: controller.signal,
        childCancels: this.childCancels,
        services: opts.services ? { ...this.deps.services, ...opts.services } : this.deps.services,
        ...(opts.only ? { only: opts.only } : {}),
        onEvent: (raw) => {
          for (const event of streamEvents(raw, stream, secrets)) deliver(event);
        },
      });
      const safe = redact(result, secrets);
      if (!finished) persist(() => runs.finish(safe.trace, extra));
      this.track(runId, persisted);
      const written = childRuns ? Promise.all([persisted, childRuns.settled(runId)]).then(() => undefined) : persisted;
      for (const child of children) this.track(child, written);
      return safe;
    } catch (err) {
      if (started && !finished) {
        // The runtime crashed mid-run: record the failure so the row does not stay `running`.
        const trace: Trace = {
          runId,
          flowId: flow.id,
          status: 'failed',
          startedAt: Date.now(),
          durationMs: 0,
          inputs,
          outputs: {},
          spans: [],
          usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: null },
          error: { code: 'internal', message: redact(errMessage(err), secrets) },
        };
        persist(() => runs.finish(trace, extra));
      }
      await persisted;
      // Its children that did end are read like any others': after their records are written.
      if (childRuns) for (const child of children) this.track(child, childRuns.settled(runId));
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      this.inflight.delete(runId);
    }
  }

  private track(runId: string, done: Promise<void>): void {
    this.pending.set(runId, done);
    void done.finally(() => {
      if (this.pending.get(runId) === done) this.pending.delete(runId);
    });
  }

  /** Wait until a run's (or every run's) record is written. Call before reading runs. */
  async settled(runId?: string): Promise<void> {
    if (runId !== undefined) await this.pending.get(runId);
    else await Promise.all(this.pending.values());
  }

  /**
   * Cancel a run in flight in this process — a root run with its whole tree, or one child
   * run alone (its parent node sees it `cancelled`: a map item fails with `cancelled` and
   * the map's onItemError applies). False when it is not running here.
   */
  cancel(runId: string): boolean {
    const c = this.inflight.get(runId) ?? this.childCancels.get(runId);
    if (!c) return false;
    c.abort(new Error('cancelled'));
    return true;
  }

  isRunning(runId: string): boolean {
    return this.inflight.has(runId) || this.childCancels.has(runId);
  }

  /** Cancel every run in flight, wait (bounded) for them to end, then for their records. */
  async drain(timeoutMs = 5_000): Promise<void> {
    this.cancelAll();
    const end = Date.now() + timeoutMs;
    while (this.inflight.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    await this.settled();
  }

  /** Abort every run in flight (graceful shutdown). */
  cancelAll(): number {
    for (const c of this.inflight.values()) c.abort(new Error('server shutting down'));
    return this.inflight.size;
  }
}

function nextTurn(fn: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => setImmediate(() => void fn().then(resolve, reject)));
}

function errorsOf(problems: FlowProblem[]): FlowProblem[] {
  return problems.filter((p) => p.severity !== 'warning');
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
