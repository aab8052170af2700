/**
 * Durable runs, the use case: start a run whose state lives in the database (async mode,
 * or a flow that can pause for a person), run attempts of it under a lease, park it when it
 * waits, resume it when a task is decided (here or in another process sharing the
 * database), time out overdue tasks and take over runs whose process died.
 *
 * An attempt is an ordinary run through RunService with the run's journal: nodes recorded
 * by earlier attempts are replayed, not run again (server/runtime/durable.ts).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Flow, RunEvent } from '../../shared';
import type { HumanTask, TaskDecision, TaskDecisionBody } from '../../shared/api/tasks';
import { checkSchema } from '../llm/json-output';
import { attachClosure, closureOf, closureResolver } from '../runtime/closure';
import type { TaskAnswer } from '../runtime/durable';
import { checkRunInputs } from '../runtime/inputs';
import type { RunResult } from '../runtime/types';
import type { RunService } from '../flows/runs';
import type { RunsRepository } from '../storage/runs';
import { StoreJournal } from './journal';
import type { RunWebhooks } from './webhooks';
import type { DurableRun, DurableStore } from './store';

export class DurableError extends Error {
  constructor(
    readonly code: 'not_found' | 'already_decided' | 'invalid_response' | 'not_waiting',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DurableError';
  }
}

export interface DurableDeps {
  store: DurableStore;
  runService: RunService;
  runs: RunsRepository;
  logger?: Logger;
  leaseMs?: number;
  sweepMs?: number;
  /**
   * Called when a run that paused has ended (succeeded, failed, cancelled), with its last
   * attempt's result: a deployed call answered 202 for it, and its request log row takes the
   * outcome. A run that ends within its first attempt is recorded by its caller.
   */
  onFinished?: (run: DurableRun, result: RunResult | undefined) => void;
  /** Completion webhooks of deployed runs (queued by finishRun; made here and by the sweep). */
  webhooks?: RunWebhooks;
}

export interface StartDurable {
  /** The run id (default: a new one); a caller that must name the run before it starts gives one. */
  runId?: string;
  source: string;
  inputs: Record<string, unknown>;
  /** Deployed endpoint runs: who may read the run, and where to post its result. */
  deployment?: DurableRun['deployment'];
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

export class DurableRuns {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly leaseMs: number;
  private readonly sweepMs: number;
  /** Runs this process is running now, with their attempt loop. */
  private readonly active = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private closed = false;

  get store(): DurableStore {
    return this.deps.store;
  }

  get webhooks(): RunWebhooks | undefined {
    return this.deps.webhooks;
  }

  constructor(private readonly deps: DurableDeps) {
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.sweepMs = deps.sweepMs ?? 10_000;
  }

  /** Sweep now and every `sweepMs`; heartbeat the leases of runs in flight here. */
  startSweeper(): void {
    if (this.timer) return;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
    this.heartbeat = setInterval(
      () => {
        const ids = [...this.active.keys()];
        this.deps.store
          .heartbeat(ids, this.owner, Date.now() + this.leaseMs)
          .catch((err: unknown) => this.deps.logger?.warn({ err: msg(err) }, 'durable run heartbeat failed'));
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  /**
   * Stop the timers and wait for a sweep in progress. Runs in flight are cancelled by
   * RunService.drain next; a durable run cancelled by the shutdown is not ended but handed
   * back (its lease released), so the next process resumes it. Call `idle()` after the drain.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    await this.sweeping;
    await this.deps.webhooks?.close();
  }

  /**
   * Start a durable run of `flow` (its closure attached). `wait: false` returns as soon as
   * the run is recorded (async mode); otherwise after its first attempt (finished or waiting).
   */
  async startRun(flow: Flow, opts: StartDurable & { wait: boolean }): Promise<{ runId: string; result?: RunResult }> {
    const inputs = checkRunInputs(flow, opts.inputs);
    const runId = opts.runId ?? randomUUID();
    await this.deps.store.createRun({
      id: runId,
      flowId: flow.id,
      flowName: flow.name ?? flow.id,
      source: opts.source,
      snapshot: { flow, closure: [...closureOf(flow).values()] },
      inputs,
      ...(opts.deployment ? { deployment: opts.deployment } : {}),
      leaseOwner: this.owner,
      leaseUntil: Date.now() + this.leaseMs,
    });
    const run = (await this.deps.store.getRun(runId))!;
    let first: RunResult | undefined;
    let answered!: () => void;
    const paused = new Promise<void>((resolve) => (answered = resolve));
    const loop = this.drive(
      run,
      flow,
      { signal: opts.signal, onEvent: opts.onEvent, onPaused: () => answered() },
      (r) => (first = r),
    );
    if (!opts.wait) return { runId };
    // The call answers when the run ends or pauses; a decision that arrives meanwhile resumes
    // it after the answer (its end then updates the request log row and posts the webhook).
    await Promise.race([loop, paused]);
    return { runId, ...(first ? { result: first } : {}) };
  }

  /**
   * Decide a task: 409 when it was already decided (one conditional UPDATE: of two concurrent
   * decisions exactly one wins), 400 when `response` does not match the form. The run
   * resumes in the background.
   */
  async decide(taskId: string, body: TaskDecisionBody): Promise<{ task: HumanTask; runStatus: string }> {
    const { store } = this.deps;
    const task = await store.getTask(taskId);
    if (!task) throw new DurableError('not_found', `no task with id "${taskId}"`);
    if (task.status !== 'pending')
      throw new DurableError('already_decided', `task "${taskId}" was already decided (${task.status})`, {
        status: task.status,
        ...(task.decision ? { decision: task.decision } : {}),
      });
    if (body.decision === 'approve' && body.response !== undefined) {
      const schema = task.kind === 'input' ? task.fields : task.kind === 'tool' ? toolSchemaOf(task) : undefined;
      if (schema) {
        const problems = checkSchema(body.response, schema);
        if (problems.length > 0)
          throw new DurableError('invalid_response', `response: ${problems.slice(0, 10).join('; ')}`, {
            issues: problems.slice(0, 50).map((p) => ({ path: 'response', message: p })),
          });
      }
    }
    if (task.kind === 'input' && body.decision === 'approve' && task.fields && body.response === undefined) {
      const problems = checkSchema({}, task.fields);
      if (problems.length > 0)
        throw new DurableError('invalid_response', `response: ${problems.slice(0, 10).join('; ')}`, {
          issues: problems.slice(0, 50).map((p) => ({ path: 'response', message: p })),
        });
    }
    const decision: TaskDecision = {
      decision: body.decision,
      ...(body.response !== undefined ? { response: body.response } : {}),
      ...(body.comment !== undefined ? { comment: body.comment } : {}),
      decidedBy: body.decidedBy ?? 'reviewer',
      decidedAt: Date.now(),
    };
    const won = await store.decide(taskId, body.decision === 'approve' ? 'approved' : 'rejected', decision);
    if (!won) {
      const now = await store.getTask(taskId);
      throw new DurableError('already_decided', `task "${taskId}" was already decided (${now?.status ?? 'gone'})`, {
        status: now?.status,
      });
    }
    const runStatus = await this.wakeRun(task.runId);
    return { task: (await store.getTask(taskId))!, runStatus };
  }

  /** Cancel a waiting run (one running here is cancelled through RunService). */
  async cancelWaiting(runId: string): Promise<boolean> {
    const run = await this.deps.store.claim(runId, this.owner, Date.now() + this.leaseMs);
    if (!run) return false;
    await this.deps.store.finishRun(runId, 'cancelled', undefined, {
      code: 'cancelled',
      message: 'the run was cancelled while waiting',
    });
    await this.deps.runs.markCancelled(runId);
    await this.finished(runId);
    return true;
  }

  /** Time out overdue tasks, then take over runs whose process died. */
  sweep(now = Date.now()): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.sweeping ??= this.sweepOnce(now).finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  /** Wait until this process runs none of these runs (tests; graceful shutdown). */
  async idle(): Promise<void> {
    while (this.active.size > 0) await Promise.allSettled([...this.active.values()]);
  }

  private async sweepOnce(now: number): Promise<void> {
    const { store, logger } = this.deps;
    try {
      for (const task of await store.overdue(now)) {
        const decision: TaskDecision = {
          decision: task.onTimeout === 'approve' ? 'approve' : 'reject',
          decidedBy: 'timeout',
          decidedAt: Date.now(),
          timedOut: true,
        };
        if (await store.decide(task.id, 'timed_out', decision)) await this.wakeRun(task.runId);
      }
      // Deliveries go out on their own: a slow receiver must not hold up taking over runs.
      void this.deps.webhooks
        ?.sweep(now)
        .catch((err: unknown) => logger?.error({ err: msg(err) }, 'webhook sweep failed'));
      for (const id of await store.expiredRunning(now)) {
        if (this.active.has(id)) continue;
        const run = await store.claim(id, this.owner, Date.now() + this.leaseMs);
        if (!run) continue;
        logger?.warn({ runId: id, attempt: run.attempts }, 'resuming a durable run whose process stopped');
        this.resumeClaimed(run);
      }
    } catch (err) {
      logger?.error({ err: msg(err) }, 'durable run sweep failed');
    }
  }

  /** A decision arrived: bump the run's wake counter and resume it here when it is parked. */
  private async wakeRun(runId: string): Promise<string> {
    const status = await this.deps.store.wake(runId);
    if (status !== 'waiting') return status ?? 'unknown';
    const run = await this.deps.store.claim(runId, this.owner, Date.now() + this.leaseMs);
    if (!run) return 'running';
    this.resumeClaimed(run);
    return 'running';
  }

  private resumeClaimed(run: DurableRun): void {
    let flow: Flow;
    try {
      flow = restoreFlow(run);
    } catch (err) {
      void this.failClaimed(run, 'snapshot_unreadable', `the run's flow snapshot cannot be read: ${msg(err)}`);
      return;
    }
    void this.drive(run, flow, {});
  }

  /**
   * A run ended: after a pause, tell the request log and make its webhook delivery (queued by
   * finishRun) now. A run that never paused was answered in its call: nothing to do.
   */
  private async finished(runId: string, result?: RunResult, afterPause = true): Promise<void> {
    if (!afterPause) return;
    const run = await this.deps.store.getRun(runId);
    if (!run) return;
    try {
      this.deps.onFinished?.(run, result);
    } catch (err) {
      this.deps.logger?.warn({ err: msg(err), runId }, 'durable run end hook failed');
    }
    if (run.deployment?.webhookUrl && this.deps.webhooks) void this.deps.webhooks.attempt(runId);
  }

  /** End a claimed run as failed, with what ending a run brings (request log, webhook). */
  private async failClaimed(run: DurableRun, code: string, message: string, afterPause = true): Promise<void> {
    await this.deps.store.finishRun(run.id, 'failed', undefined, { code, message }, afterPause);
    await this.deps.runs.markFailed(run.id, { code, message });
    await this.finished(run.id, undefined, afterPause);
  }

  /**
   * Run attempts of a claimed run until it finishes or parks: after an attempt that ends
   * waiting, the run is parked unless a decision arrived meanwhile (then it runs again).
   */
  private drive(
    claimed: DurableRun,
    flow: Flow,
    first: { signal?: AbortSignal; onEvent?: (event: RunEvent) => void; onPaused?: () => void },
    onFirst?: (r: RunResult) => void,
  ): Promise<void> {
    const { store, runService, logger } = this.deps;
    const loop = (async () => {
      let run = claimed;
      let attempt = 0;
      for (;;) {
        // Not the run's first attempt (here, or in an earlier process): it paused before, so its
        // call answered 202, and its end is posted to its webhook and written to its log row.
        const afterPause = attempt > 0 || run.attempts > 1;
        const [steps, decided] = await Promise.all([store.loadSteps(run.id), store.decisions(run.id)]);
        const answers = new Map<string, TaskAnswer>();
        for (const [path, d] of decided)
          answers.set(path, { status: d.status as TaskAnswer['status'], decision: d.decision });
        const journal = new StoreJournal(
          store,
          { id: run.id, flowId: run.flowId, flowName: run.flowName },
          steps,
          answers,
        );
        const flows = closureResolver(flow);
        let result: RunResult;
        try {
          result = await runService.run(flow, run.inputs, {
            runId: run.id,
            source: run.source,
            services: { journal, ...(flows ? { flows } : {}) },
            ...(attempt === 0 && first.signal ? { signal: first.signal } : {}),
            ...(attempt === 0 && first.onEvent ? { onEvent: first.onEvent } : {}),
          });
          await journal.flush();
        } catch (err) {
          logger?.error({ err: msg(err), runId: run.id }, 'durable run attempt failed');
          await this.failClaimed(run, 'internal', `the run could not be resumed: ${msg(err)}`, afterPause);
          return;
        }
        if (attempt === 0) onFirst?.(result);
        attempt++;
        if (result.status === 'waiting') {
          const parked = await store.park(run.id, this.owner, run.wake);
          if (attempt === 1) first.onPaused?.();
          if (parked) return;
          // A decision arrived during the attempt: run again with it.
          const again = await store.getRun(run.id);
          if (!again || again.status !== 'running' || again.leaseOwner !== this.owner) return;
          run = again;
          continue;
        }
        if (result.status === 'cancelled' && this.closed) {
          // Cancelled by the shutdown, not by a user: the next process resumes it.
          await store.release(run.id, this.owner);
          return;
        }
        const status = result.status === 'running' ? 'failed' : result.status;
        await store.finishRun(run.id, status, result.outputs, result.trace.error, afterPause);
        await this.finished(run.id, result, afterPause);
        return;
      }
    })();
    const tracked = loop
      .catch((err: unknown) => logger?.error({ err: msg(err), runId: claimed.id }, 'durable run failed'))
      .finally(() => {
        if (this.active.get(claimed.id) === tracked) this.active.delete(claimed.id);
      });
    this.active.set(claimed.id, tracked);
    return tracked;
  }
}

/** The flow of a durable run as it was when the run started, with the flows it calls. */
export function restoreFlow(run: DurableRun): Flow {
  const flow = run.snapshot.flow as Flow;
  const closure = new Map<string, Flow>();
  for (const f of run.snapshot.closure as Flow[]) closure.set(f.id, f);
  return attachClosure(flow, closure);
}

/** The tool's argument schema, stored with a tool approval task (edited arguments are checked against it). */
function toolSchemaOf(task: HumanTask): Record<string, unknown> | undefined {
  const t = task.tool as (HumanTask['tool'] & { parameters?: Record<string, unknown> }) | undefined;
  return t?.parameters;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
