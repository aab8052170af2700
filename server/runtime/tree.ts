/**
 * What the runs of one run tree share (a root run and the child runs its subflow, map,
 * loop and agent nodes start): one concurrency budget, one node-execution budget, the
 * executors, the event listener and the flow resolver. Child runs also inherit the abort
 * of the node that started them, so cancelling the root cancels every run below it.
 */
import { setMaxListeners } from 'node:events';
import type { Flow, RunEvent, RunParent, RunUsage } from '../../shared';
import { checkRunInputs } from './inputs';
import { childPrefix, stableRunId, type ChildEntry } from './durable';
import { NodeError, RunInputError, type FlowResolver, type NodeContext, type RunResult } from './types';
import type { RunJournal } from './durable';

/** Default per-tree budget of node executions (BRAID_MAX_TREE_NODES). */
export const DEFAULT_MAX_TREE_NODES = 10_000;

/**
 * The tree's concurrency budget: one slot per node executing. A node that waits on child
 * runs gives its slot back first (its children need slots; holding one could deadlock).
 */
export class Slots {
  private used = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly limit: number) {}

  tryAcquire(): boolean {
    if (this.used >= this.limit) return false;
    this.used++;
    return true;
  }

  release(): void {
    this.used--;
    if (this.waiters.size === 0) return;
    // Wake every waiting run: one that no longer needs the slot must not strand the others.
    const wake = [...this.waiters];
    this.waiters.clear();
    queueMicrotask(() => {
      for (const w of wake) w();
    });
  }

  /** Call `wake` (once) when a slot is released. */
  wait(wake: () => void): void {
    this.waiters.add(wake);
  }

  forget(wake: () => void): void {
    this.waiters.delete(wake);
  }
}

/** One slot held by one node attempt; released once, when the node settles or starts waiting on children. */
export class SlotHold {
  private held: boolean;
  constructor(private readonly slots: Slots | undefined) {
    this.held = slots !== undefined;
  }
  release(): void {
    if (!this.held) return;
    this.held = false;
    this.slots!.release();
  }
}

export class RunTree {
  private executed = 0;
  private exhausted?: NodeError;
  /** Set by the root run: fails the whole tree (the node budget is spent). */
  failRoot?: (error: NodeError) => void;

  constructor(
    readonly rootRunId: string,
    readonly slots: Slots,
    readonly maxNodes: number,
    readonly onEvent?: (event: RunEvent) => void,
    /** Cancel controllers of the tree's running child runs, by run id (RunOptions.childCancels). */
    readonly childCancels?: Map<string, AbortController>,
  ) {}

  /**
   * Count one node execution. Past the budget, returns the error the node fails with;
   * the first time, the root run fails with it too (which cancels the rest of the tree).
   */
  countNode(): NodeError | undefined {
    if (this.exhausted) return this.exhausted;
    if (++this.executed <= this.maxNodes) return undefined;
    this.exhausted = new NodeError(
      'node_budget_exceeded',
      `the run tree reached its budget of ${this.maxNodes} node executions (BRAID_MAX_TREE_NODES); ` +
        'a map or loop is probably larger than intended',
    );
    this.failRoot?.(this.exhausted);
    return this.exhausted;
  }

  get nodesExecuted(): number {
    return this.executed;
  }
}

/** Where a child run starts from: the node attempt of a run in a tree. */
export interface ChildRunSite {
  runId: string;
  nodeId: string;
  tree: RunTree;
  /** The child's depth (the starting run's + 1). */
  depth: number;
  /** The node attempt's signal: the child is cancelled with it. */
  signal: AbortSignal;
  slot: SlotHold;
  flows: FlowResolver;
  /** The starting run's path prefix in the run tree ('' for the root). */
  prefix: string;
  /** The tree's journal (durable runs). */
  journal?: RunJournal;
  /** Schedule the child run (the scheduler's `schedule`, with this tree). */
  start(flow: Flow, inputs: Record<string, unknown>, child: ChildRun): Promise<RunResult>;
  /** Told the usage of each child run that ended (replayed ones included): the node's span sums it. */
  addUsage?(runId: string, usage: RunUsage): void;
}

/** How a child run is placed in its tree. */
export interface ChildRun {
  tree: RunTree;
  parent: RunParent;
  signals: AbortSignal[];
  /** Its path prefix in the run tree (`<node path>[<key>]/`). */
  prefix: string;
  /** Its run id (stable across attempts in a durable run). */
  runId?: string;
}

/**
 * `runChild` for one node attempt: resolve the flow, check the inputs against its declared
 * inputs, give the node's concurrency slot back (it now waits on children), and start the
 * child run in the same tree, cancelled with the node or with `opts.signal`.
 */
export function childRunner(site: ChildRunSite): NonNullable<NodeContext['runChild']> {
  return async (flowId, inputs, opts = {}) => {
    const flow = await site.flows.get(flowId);
    if (!flow) throw new NodeError('unknown_flow', `unknown flow "${flowId}"`, { path: 'config.flow' });
    let checked: Record<string, unknown>;
    try {
      checked = checkRunInputs(flow, inputs);
    } catch (err) {
      if (!(err instanceof RunInputError)) throw err;
      throw new NodeError('invalid_child_inputs', `inputs for flow "${flowId}": ${err.message}`);
    }
    site.slot.release();
    // Every child run in flight listens on the node's signal (a map: up to its concurrency).
    setMaxListeners(0, site.signal);
    const parent: RunParent = {
      runId: site.runId,
      nodeId: site.nodeId,
      ...(opts.iteration !== undefined ? { iteration: opts.iteration } : {}),
      rootRunId: site.tree.rootRunId,
      depth: site.depth,
    };
    const signals = opts.signal ? [site.signal, opts.signal] : [site.signal];
    const prefix = childPrefix(site.prefix, site.nodeId, opts.key ?? opts.iteration ?? 0);
    const journal = site.journal;
    if (!journal) return counted(site, await site.start(flow, checked, { tree: site.tree, parent, signals, prefix }));
    // A durable run: a child that completed in an earlier attempt is not run again.
    const done = journal.get(`${prefix}=`) as ChildEntry | undefined;
    if (done) return counted(site, replayedChild(done, flow.id, checked, parent));
    const runId = stableRunId(journal.rootRunId, prefix);
    const res = await site.start(flow, checked, { tree: site.tree, parent, signals, prefix, runId });
    if (res.status === 'succeeded')
      journal.put(`${prefix}=`, {
        runId: res.runId,
        outputs: res.outputs,
        usage: res.trace.usage,
      } satisfies ChildEntry);
    return counted(site, res);
  };
}

function counted(site: ChildRunSite, res: RunResult): RunResult {
  if (res.trace?.usage) site.addUsage?.(res.runId, res.trace.usage);
  return res;
}

/** The result of a child run recorded by an earlier attempt (its full trace is in the runs table). */
function replayedChild(
  done: ChildEntry,
  flowId: string,
  inputs: Record<string, unknown>,
  parent: RunParent,
): RunResult {
  const now = Date.now();
  return {
    runId: done.runId,
    status: 'succeeded',
    outputs: done.outputs,
    trace: {
      runId: done.runId,
      flowId,
      status: 'succeeded',
      startedAt: now,
      durationMs: 0,
      inputs,
      outputs: done.outputs,
      spans: [],
      // What it used when it ran (journals written before usage was kept: nothing).
      usage: done.usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
      parent,
    },
  };
}
