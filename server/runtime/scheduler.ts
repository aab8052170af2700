/**
 * The scheduler: runs every ready node concurrently (up to `maxConcurrency`), with a
 * per-attempt timeout, retries with backoff on retryable errors, cancellation, generic
 * re-ask (a node's result asks to re-run the node feeding one of its inputs) and the
 * trace. It knows nothing of node types: the plan/ledger say what is ready, executors do
 * the work, and NodeResult fields (skipPorts, reask, runOutputs) steer the run.
 */
import { randomUUID } from 'node:crypto';
import { formatCycle, type Flow, type RunEvent, type RunParent, type SpanStatus, type Trace } from '../../shared';
import { capText } from '../../shared/limits';
import { Ledger, preparePlan, streamableOf, type Plan } from './plan';
import { createNodeContext, NodeAbort, nowMs, SpanRecord } from './run-context';
import { callWithDeadline, RunStop, toNodeError } from './attempt';
import { assembleTrace } from './trace';
import { DEFAULT_RETRY, retryDelay, sleep } from './retry';
import { childRunner, DEFAULT_MAX_TREE_NODES, RunTree, SlotHold, Slots, type ChildRun } from './tree';
import { NodeSuspend, nodeDurable, type RunJournal, type StepEntry } from './durable';
import {
  NodeError,
  RunInputError,
  type NodeContext,
  type Executor,
  type NodeResult,
  type ReaskFeedback,
  type RunOptions,
  type RunResult,
} from './types';

/** Executors by node type; tests pass their own. */
export type ExecutorLookup = Readonly<Partial<Record<string, Executor<never>>>>;

export interface ScheduleOptions extends RunOptions {
  runId: string;
  executors: ExecutorLookup;
  /** A child run: the tree it belongs to and where it sits in it (set by `runChild`). */
  child?: ChildRun;
}

/** Used when neither the node nor the config sets a timeout. */
export const DEFAULT_NODE_TIMEOUT_MS = 60_000;

/** Run a flow with already-checked inputs. */
export async function schedule(flow: Flow, inputs: Record<string, unknown>, opts: ScheduleOptions): Promise<RunResult> {
  const plan = await preparePlan(flow, opts.services.flows);
  return new Run(flow, plan, inputs, opts).execute();
}

class Run {
  private readonly ledger: Ledger;
  private readonly tree: RunTree;
  private readonly parent?: RunParent;
  private readonly wake = (): void => {
    this.waiting = false;
    this.pump();
  };
  private waiting = false;
  private readonly onEvent?: (event: RunEvent) => void;
  private readonly runId: string;
  private readonly spans: Array<SpanRecord | undefined>;
  private readonly spanStatus: Array<SpanStatus | undefined>;
  private readonly runOutputs: Array<Record<string, unknown> | undefined>;
  private readonly controllers = new Map<number, NodeAbort>();
  private readonly emitFn?: (event: RunEvent) => void;
  private readonly gen: Int32Array;
  private readonly reasks: Int32Array;
  private readonly feedback: Array<ReaskFeedback | undefined>;
  /** Nodes allowed to stream (tokens: `validated`); undefined: every node streams. */
  private readonly streamable?: ReadonlySet<string>;
  private readonly startedAt = nowMs();
  private queue: number[] = [];
  private queueHead = 0;
  private inflight = 0;
  private status: Trace['status'] = 'running';
  private error?: Trace['error'];
  private finish: () => void = () => {};
  private finished = false;
  private onlyOutputs?: Record<string, unknown>;
  private trace?: Trace;
  /** Durable runs: the tree's journal and this run's path prefix in it. */
  private readonly journal?: RunJournal;
  private readonly prefix: string;
  /** Nodes paused for a person (they stay `running` in the ledger). */
  private suspended = 0;

  constructor(
    private readonly flow: Flow,
    private readonly plan: Plan,
    private readonly inputs: Record<string, unknown>,
    private readonly opts: ScheduleOptions,
  ) {
    this.ledger = new Ledger(this.plan);
    if (opts.child) {
      this.tree = opts.child.tree;
      this.parent = opts.child.parent;
    } else {
      const limit = opts.maxConcurrency && opts.maxConcurrency > 0 ? opts.maxConcurrency : Infinity;
      const maxNodes = opts.services.config?.maxTreeNodes ?? DEFAULT_MAX_TREE_NODES;
      this.tree = new RunTree(opts.runId, new Slots(limit), maxNodes, opts.onEvent, opts.childCancels);
      this.tree.failRoot = (ne) => this.failRun(ne);
    }
    this.onEvent = opts.onEvent;
    if (this.onEvent) this.emitFn = (e) => this.emit(e);
    this.prefix = opts.child?.prefix ?? '';
    if (!opts.only) this.journal = opts.services.journal;
    this.runId = opts.runId;
    const n = this.plan.nodes.length;
    this.spans = new Array(n);
    this.spanStatus = new Array(n);
    this.runOutputs = new Array(n);
    this.gen = new Int32Array(n);
    this.reasks = new Int32Array(n);
    this.feedback = new Array(n);
    if (opts.tokens === 'validated') this.streamable = streamableOf(this.plan);
  }

  async execute(): Promise<RunResult> {
    const only = this.opts.only;
    const onlyIndex = only ? this.plan.index.get(only.nodeId) : undefined;
    if (only && onlyIndex === undefined) {
      throw new RunInputError([{ path: 'only.nodeId', message: `the flow has no node "${only.nodeId}"` }]);
    }
    if (this.onEvent) {
      this.emit({
        type: 'run_started',
        runId: this.runId,
        flowId: this.flow.id,
        at: Math.floor(this.startedAt),
        inputs: this.inputs,
        ...(this.parent ? { parent: this.parent } : {}),
      });
    }
    const done = new Promise<void>((resolve) => (this.finish = resolve));
    const signals = [...(this.opts.signal ? [this.opts.signal] : []), ...(this.opts.child?.signals ?? [])];
    const onAbort = (): void => this.cancel();
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    if (signals.some((s) => s.aborted)) this.cancel();
    else if (onlyIndex !== undefined) this.startOnly(onlyIndex, only!.inputs);
    else if (this.plan.cycle) {
      this.failRun(new NodeError('invalid_flow', `the flow is not a DAG: cycle ${formatCycle(this.plan.cycle)}`));
    }
    this.pump();
    await done;
    for (const s of signals) s.removeEventListener('abort', onAbort);
    this.tree.slots.forget(this.wake);
    return this.result();
  }

  private emit(event: RunEvent): void {
    try {
      this.onEvent!(event);
    } catch {
      // A listener's fault must not break the run.
    }
  }

  /** Start what can start; finish the run when nothing is left in flight. */
  private pump(): void {
    if (this.finished) return;
    if (this.status === 'running' && !this.opts.only) {
      for (const i of this.ledger.takeSkipped()) this.recordSkipped(i);
      for (const i of this.ledger.takeReady()) this.queue.push(i);
      while (this.queueHead < this.queue.length) {
        const i = this.queue[this.queueHead];
        if (this.ledger.state(i) !== 'ready') {
          this.queueHead++;
          continue;
        }
        if (this.replay(i)) {
          // Completed in an earlier attempt of this durable run: its recorded result flows on.
          this.queueHead++;
          for (const s of this.ledger.takeSkipped()) this.recordSkipped(s);
          for (const r of this.ledger.takeReady()) this.queue.push(r);
          continue;
        }
        if (!this.tree.slots.tryAcquire()) {
          // The tree's budget is spent: wait for a slot anywhere in the tree.
          if (!this.waiting) this.tree.slots.wait(this.wake);
          this.waiting = true;
          break;
        }
        this.queueHead++;
        this.start(i, this.ledger.inputsFor(i), new SlotHold(this.tree.slots));
      }
      if (this.queueHead > 64 && this.queueHead * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.queueHead);
        this.queueHead = 0;
      }
    }
    if (this.inflight > 0 || (this.waiting && this.status === 'running')) return;
    if (this.status === 'running' && !this.opts.only && !this.ledger.settled()) {
      if (this.suspended > 0) this.status = 'waiting';
      else this.failRun(new NodeError('stuck', 'no node can run and some never ran (the flow is not a DAG?)'));
    }
    this.finalize();
  }

  private start(i: number, inputs: Record<string, unknown>, slot: SlotHold): void {
    if (!this.opts.only) this.ledger.start(i);
    this.inflight++;
    const g = this.gen[i];
    const ctrl = new NodeAbort();
    this.controllers.set(i, ctrl);
    this.runNode(i, ctrl, inputs, slot).then(
      (result) => {
        slot.release();
        this.onNodeDone(i, g, result);
      },
      (err: unknown) => {
        slot.release();
        this.onNodeError(i, g, err);
      },
    );
  }

  private startOnly(i: number, given: Record<string, unknown>): void {
    const pn = this.plan.nodes[i];
    // Null prototype: a `__proto__` key in `given` (a JSON body) stays an own key.
    const inputs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const p of pn.inputs)
      if (pn.node.values && Object.prototype.hasOwnProperty.call(pn.node.values, p.name))
        inputs[p.name] = pn.node.values[p.name];
    Object.assign(inputs, given);
    this.start(i, inputs, new SlotHold(undefined));
  }

  private async runNode(
    i: number,
    ctrl: NodeAbort,
    inputs: Record<string, unknown>,
    slot: SlotHold,
  ): Promise<NodeResult> {
    const pn = this.plan.nodes[i];
    let span = this.spans[i];
    if (!span) {
      span = this.spans[i] = new SpanRecord(pn.node.id, pn.node.type);
      span.startedAt = nowMs();
    }
    span.inputs = inputs;
    const overBudget = this.tree.countNode();
    if (overBudget) throw overBudget;
    if (pn.problem) throw new NodeError(pn.problem.code, pn.problem.message, { path: pn.problem.path });
    const exec = this.opts.executors[pn.node.type] as Executor<unknown> | undefined;
    if (!exec) throw new NodeError('no_executor', `no executor for node type "${pn.node.type}"`);
    const timeoutMs =
      pn.node.timeoutMs ?? pn.defaultTimeoutMs ?? this.opts.services.config?.nodeTimeoutMs ?? DEFAULT_NODE_TIMEOUT_MS;
    const policy = pn.node.retry ? { ...DEFAULT_RETRY, ...pn.node.retry } : DEFAULT_RETRY;
    const feedback = this.feedback[i];
    for (let retry = 1; ; retry++) {
      span.attempts++;
      if (this.onEvent) {
        this.emit({
          type: 'node_started',
          runId: this.runId,
          nodeId: pn.node.id,
          nodeType: pn.node.type,
          at: Math.floor(nowMs()),
          attempt: span.attempts,
          inputs,
        });
      }
      const attempt: { live: boolean; streamed?: boolean } = { live: true };
      const ctx = createNodeContext({
        runId: this.runId,
        flow: this.flow,
        node: pn.node,
        config: pn.config,
        inputs,
        runInputs: this.inputs,
        abort: ctrl,
        services: this.opts.services,
        feedback,
        span,
        onEvent: this.emitFn,
        attempt,
        streams: this.streamable ? this.streamable.has(pn.node.id) : true,
      });
      if (this.opts.services.flows) ctx.runChild = this.childRunner(pn.node.id, ctrl, slot, span);
      if (this.journal) {
        const item = this.parent?.iteration;
        ctx.durable = nodeDurable(this.journal, this.prefix + pn.node.id, {
          nodeId: pn.node.id,
          flowId: this.flow.id,
          ...(item !== undefined ? { item } : {}),
        });
      }
      try {
        const result = await callWithDeadline(exec, ctx, ctrl, timeoutMs, pn.node.id);
        attempt.live = false;
        return result;
      } catch (err) {
        attempt.live = false;
        if (ctrl.aborted) throw ctrl.reason;
        if (err instanceof NodeSuspend) throw err;
        const ne = toNodeError(err);
        const delay = retryDelay(ne, retry, policy);
        if (delay === null) throw ne;
        if (attempt.streamed && this.streamable) {
          // Its text already went out to a public caller: a retry would send it twice.
          span.setMeta({ retryRefused: 'tokens were already streamed to the caller' });
          throw ne;
        }
        span.pushMeta('retries', { attempt: span.attempts, code: ne.code, delayMs: delay });
        if (this.onEvent) {
          this.emit({
            type: 'node_retry',
            runId: this.runId,
            nodeId: pn.node.id,
            at: Math.floor(nowMs()),
            attempt: span.attempts,
            delayMs: delay,
            error: ne.toSpanError(),
          });
        }
        await sleep(delay, ctrl.signal);
      }
    }
  }

  private childRunner(
    nodeId: string,
    ctrl: NodeAbort,
    slot: SlotHold,
    span: SpanRecord,
  ): NonNullable<NodeContext['runChild']> {
    return childRunner({
      addUsage: (runId, usage) => span.addChildUsage(runId, usage),
      runId: this.runId,
      nodeId,
      tree: this.tree,
      depth: (this.parent?.depth ?? 0) + 1,
      // Read when a child starts: most nodes start none, and a signal creates the node's controller.
      get signal() {
        return ctrl.signal;
      },
      slot,
      prefix: this.prefix,
      ...(this.journal ? { journal: this.journal } : {}),
      start: (flow, inputs, child) => {
        const runId = child.runId ?? randomUUID();
        const opts = {
          runId,
          services: this.opts.services,
          executors: this.opts.executors,
          onEvent: this.opts.onEvent,
        };
        const cancels = this.tree.childCancels;
        if (!cancels) return schedule(flow, inputs, { ...opts, child });
        // Cancellable by its own id: the child alone stops; its parent node decides what that means.
        const own = new AbortController();
        cancels.set(runId, own);
        return schedule(flow, inputs, {
          ...opts,
          child: { ...child, signals: [...child.signals, own.signal] },
        }).finally(() => cancels.delete(runId));
      },
      flows: this.opts.services.flows!,
    });
  }

  private onNodeDone(i: number, g: number, result: NodeResult): void {
    this.inflight--;
    if (this.gen[i] !== g) return this.pump(); // superseded by a re-ask
    this.controllers.delete(i);
    const span = this.spans[i]!;
    span.endedAt = nowMs();
    span.outputs = result.outputs ?? {};
    span.error = undefined;
    if (result.reask && this.status === 'running') {
      this.reask(i, result.reask);
      return this.pump();
    }
    if (result.reask) {
      // The run already stopped: the re-ask is moot, the node did not pass.
      return this.settleFailed(i, new RunStop('cancelled', 'run stopped before the re-ask'), 'cancelled');
    }
    if (this.opts.only) this.onlyOutputs = result.runOutputs ?? result.outputs ?? {};
    else if (result.runOutputs) this.runOutputs[i] = result.runOutputs;
    this.spanStatus[i] = 'succeeded';
    if (this.onEvent)
      this.emit({
        type: 'node_finished',
        runId: this.runId,
        nodeId: span.nodeId,
        at: Math.floor(span.endedAt),
        span: span.toSpan('succeeded'),
      });
    if (this.status === 'running' && !this.opts.only) {
      if (this.journal) {
        const entry: StepEntry = { outputs: span.outputs, span: span.toSpan('succeeded') };
        if (result.skipPorts?.length) entry.skipPorts = result.skipPorts;
        if (result.runOutputs) entry.runOutputs = result.runOutputs;
        this.journal.put(this.prefix + span.nodeId, entry);
      }
      this.ledger.complete(i, span.outputs, result.skipPorts);
    }
    this.pump();
  }

  /** A durable run's node recorded by an earlier attempt: complete it from the journal. */
  private replay(i: number): boolean {
    if (!this.journal || this.gen[i] !== 0 || this.feedback[i]) return false;
    const pn = this.plan.nodes[i];
    const entry = this.journal.get(this.prefix + pn.node.id) as StepEntry | undefined;
    if (!entry) return false;
    this.ledger.start(i);
    const span = (this.spans[i] = new SpanRecord(pn.node.id, pn.node.type));
    const s = entry.span;
    span.startedAt = s.startedAt;
    span.endedAt = s.startedAt + s.durationMs;
    span.attempts = s.attempts;
    span.inputs = s.inputs;
    span.outputs = entry.outputs;
    if (s.model !== undefined) span.model = s.model;
    if (s.tokens !== undefined) span.tokens = s.tokens;
    if (s.cost !== undefined) span.cost = s.cost;
    if (s.childUsage !== undefined) span.childUsage = s.childUsage;
    span.meta = { ...(s.meta ?? {}), replayed: true };
    if (entry.runOutputs) this.runOutputs[i] = entry.runOutputs;
    this.spanStatus[i] = 'succeeded';
    if (this.onEvent)
      this.emit({
        type: 'node_finished',
        runId: this.runId,
        nodeId: pn.node.id,
        at: Math.floor(nowMs()),
        span: span.toSpan('succeeded'),
      });
    this.ledger.complete(i, entry.outputs, entry.skipPorts);
    return true;
  }

  private onNodeError(i: number, g: number, err: unknown): void {
    this.inflight--;
    if (this.gen[i] !== g) return this.pump();
    this.controllers.delete(i);
    if (err instanceof NodeSuspend && this.status === 'running') return this.settleWaiting(i, err.reason);
    const ne = toNodeError(err);
    this.settleFailed(i, ne, ne instanceof RunStop ? 'cancelled' : 'failed');
  }

  /** The node paused for a person: it stays unsettled; the run ends `waiting` once nothing else can run. */
  private settleWaiting(i: number, reason: string): void {
    const span = this.spans[i]!;
    span.endedAt = nowMs();
    span.setMeta({ waiting: reason });
    this.spanStatus[i] = 'waiting';
    this.suspended++;
    if (this.onEvent)
      this.emit({
        type: 'node_waiting',
        runId: this.runId,
        nodeId: span.nodeId,
        at: Math.floor(span.endedAt),
        span: span.toSpan('waiting'),
        reason,
      });
    this.pump();
  }

  private settleFailed(i: number, ne: NodeError, status: 'failed' | 'cancelled'): void {
    const span = this.spans[i]!;
    span.endedAt = nowMs();
    span.error = ne.toSpanError();
    this.spanStatus[i] = status;
    if (!this.opts.only) this.ledger.fail(i);
    if (this.onEvent)
      this.emit({
        type: 'node_failed',
        runId: this.runId,
        nodeId: span.nodeId,
        at: Math.floor(span.endedAt),
        span: span.toSpan(status),
      });
    if (status === 'failed') this.failRun(ne, span.nodeId);
    this.pump();
  }

  /** Node `v` asked to re-run the node feeding its input `port` (validator re-ask). */
  private reask(v: number, ask: NonNullable<NodeResult['reask']>): void {
    const span = this.spans[v]!;
    const src = this.opts.only ? undefined : this.ledger.sourceOf(v, ask.port);
    const count = this.reasks[v];
    if (src === undefined || count >= ask.maxAttempts) {
      const why =
        src === undefined
          ? `nothing upstream of input "${ask.port}" to re-ask`
          : `still failing after ${count} re-ask${count === 1 ? '' : 's'}`;
      this.settleFailed(v, new NodeError('validation_failed', `${why}: ${ask.message}`), 'failed');
      return;
    }
    this.reasks[v] = count + 1;
    span.pushMeta('reasks', { attempt: count + 1, message: capText(ask.message), node: this.plan.nodes[src].node.id });
    if (this.onEvent) {
      this.emit({
        type: 'node_retry',
        runId: this.runId,
        nodeId: span.nodeId,
        at: Math.floor(nowMs()),
        attempt: span.attempts,
        delayMs: 0,
        error: { code: 'reask', message: capText(ask.message) },
      });
    }
    this.feedback[src] = {
      attempt: count + 1,
      previousOutputs: this.ledger.outputsOf(src) ?? {},
      message: ask.message,
    };
    const { running, reset } = this.ledger.rerun(src);
    for (const d of running) {
      this.gen[d]++;
      this.controllers.get(d)?.abort(new RunStop('superseded', 'an upstream node is being re-asked'));
      this.controllers.delete(d);
    }
    for (const d of reset) {
      this.spanStatus[d] = undefined;
      this.runOutputs[d] = undefined;
    }
  }

  private failRun(ne: NodeError, nodeId?: string): void {
    if (this.status !== 'running') return;
    this.status = 'failed';
    this.error = { ...ne.toSpanError(), ...(nodeId ? { nodeId } : {}) };
    this.abortAll(new RunStop('cancelled', nodeId ? `run stopped: node "${nodeId}" failed` : 'run stopped'));
  }

  private cancel(): void {
    if (this.status !== 'running' || this.finished) return;
    this.status = 'cancelled';
    this.error = { code: 'cancelled', message: 'the run was cancelled' };
    this.abortAll(new RunStop('cancelled', 'the run was cancelled'));
    this.pump();
  }

  private abortAll(reason: RunStop): void {
    for (const ctrl of [...this.controllers.values()]) ctrl.abort(reason);
  }

  private recordSkipped(i: number): void {
    const pn = this.plan.nodes[i];
    const span = (this.spans[i] ??= new SpanRecord(pn.node.id, pn.node.type));
    span.startedAt = span.endedAt = nowMs();
    span.inputs = {};
    span.outputs = {};
    span.skipReason = this.ledger.skipReason(i);
    this.spanStatus[i] = 'skipped';
    if (this.onEvent)
      this.emit({
        type: 'node_skipped',
        runId: this.runId,
        nodeId: pn.node.id,
        at: Math.floor(span.endedAt),
        span: span.toSpan('skipped'),
      });
  }

  private finalize(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.status === 'running') this.status = 'succeeded';
    this.trace = this.buildTrace(nowMs());
    if (this.onEvent)
      this.emit({
        type: 'run_finished',
        runId: this.runId,
        at: Math.floor(this.startedAt + this.trace.durationMs),
        trace: this.trace,
      });
    this.finish();
  }

  private buildTrace(end: number): Trace {
    const { nodes, order } = this.plan;
    let indexes = order;
    if (this.opts.only) indexes = [this.plan.index.get(this.opts.only.nodeId)!];
    else if (order.length < nodes.length) {
      const inOrder = new Set(order);
      indexes = [...order, ...nodes.map((n) => n.index).filter((i) => !inOrder.has(i))];
    }
    return assembleTrace({
      runId: this.runId,
      flowId: this.flow.id,
      status: this.status,
      error: this.error,
      startedAt: this.startedAt,
      endedAt: end,
      inputs: this.inputs,
      outputs: this.onlyOutputs ?? {},
      parent: this.parent,
      nodes: indexes.map((i) => ({
        node: nodes[i].node,
        record: this.spans[i],
        status: this.spanStatus[i],
        runOutputs: this.runOutputs[i],
      })),
    });
  }

  private result(): RunResult {
    const trace = this.trace!;
    return { runId: this.runId, status: trace.status, outputs: trace.outputs, trace };
  }
}
