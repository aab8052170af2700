/**
 * The runtime's RunJournal over DurableStore: entries and decisions are loaded before an
 * attempt starts (reads are synchronous), writes and new tasks are queued and written in
 * order in batches; `flush()` waits for all of them (before the run is parked or finished).
 */
import type { Flow } from '../../shared';
import type { RunJournal, TaskAnswer, TaskAsk, TaskSite } from '../runtime/durable';
import type { DurableStore } from './store';
import { closureOf } from '../runtime/closure';

export interface JournalRun {
  id: string;
  flowId: string;
  flowName: string;
}

export class StoreJournal implements RunJournal {
  private queue: Array<[string, unknown]> = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();
  private failure?: unknown;
  /** Paths asked in this attempt (a task is created once). */
  private readonly asked = new Set<string>();
  /** How many tasks this attempt asked for (new or still pending). */
  pendingAsks = 0;

  constructor(
    private readonly store: DurableStore,
    private readonly run: JournalRun,
    private readonly steps: Map<string, unknown>,
    private readonly answers: Map<string, TaskAnswer>,
  ) {}

  get rootRunId(): string {
    return this.run.id;
  }

  get(path: string): unknown {
    return this.steps.get(path);
  }

  put(path: string, value: unknown): void {
    this.steps.set(path, value);
    this.queue.push([path, value]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      this.enqueue(() => this.store.putSteps(this.run.id, batch));
    });
  }

  answer(path: string): TaskAnswer | undefined {
    return this.answers.get(path);
  }

  ask(path: string, ask: TaskAsk, site: TaskSite): void {
    if (this.asked.has(path)) return;
    this.asked.add(path);
    this.pendingAsks++;
    const now = Date.now();
    this.enqueue(async () => {
      await this.store.ensureTask({
        runId: this.run.id,
        path,
        flowId: this.run.flowId,
        flowName: this.run.flowName,
        nodeId: site.nodeId,
        nodeFlowId: site.flowId,
        ...(site.item !== undefined ? { item: site.item } : {}),
        kind: ask.kind,
        message: ask.message,
        ...(ask.fields ? { fields: ask.fields } : {}),
        ...(ask.tool ? { tool: ask.tool } : {}),
        onTimeout: ask.onTimeout,
        createdAt: now,
        ...(ask.timeoutMs !== undefined ? { deadline: now + ask.timeoutMs } : {}),
      });
    });
  }

  /** Wait until every entry and task of this attempt is written; rethrows the first write failure. */
  async flush(): Promise<void> {
    if (this.scheduled || this.queue.length > 0) {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      this.enqueue(() => this.store.putSteps(this.run.id, batch));
    }
    await this.chain;
    if (this.failure !== undefined) throw this.failure;
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => {
      this.failure ??= err;
    });
  }
}

/** Whether a flow (or a flow it calls) can pause for a person: a human node or an approval-gated agent tool. */
function needsPeople(flow: Flow, closure: Iterable<Flow>): boolean {
  for (const f of [flow, ...closure])
    for (const n of f.nodes) {
      if (n.type === 'human') return true;
      if (n.type === 'agent') {
        const tools = (n.config as { tools?: Array<{ requireApproval?: boolean }> } | undefined)?.tools;
        if (tools?.some((t) => t.requireApproval === true)) return true;
      }
    }
  return false;
}

const pausableFlows = new WeakMap<Flow, boolean>();

/**
 * Whether a deployed snapshot (its flow and the flows attached to it) can pause for a person;
 * cached per flow object, so the per-call check is one WeakMap lookup.
 */
export function canPause(flow: Flow): boolean {
  let v = pausableFlows.get(flow);
  if (v === undefined) {
    v = needsPeople(flow, closureOf(flow).values());
    pausableFlows.set(flow, v);
  }
  return v;
}
