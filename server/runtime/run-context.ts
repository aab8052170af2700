/**
 * Per-node context: what an executor sees (NodeContext) and what the trace records about
 * it (SpanRecord, turned into a Span when the node settles).
 */
import type {
  Flow,
  FlowNode,
  RunEvent,
  RunUsage,
  Span,
  SpanError,
  SpanMessage,
  SpanStatus,
  TokenUsage,
} from '../../shared';
import { boundMessages } from './span-messages';
import type { NodeContext, ReaskFeedback, RunServices } from './types';

/** Float epoch milliseconds (sub-millisecond durations matter for cheap nodes). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Mutable record of one node's part of the run; it survives retries and re-asks. */
export class SpanRecord {
  readonly nodeId: string;
  readonly nodeType: string;
  startedAt = 0;
  endedAt = 0;
  attempts = 0;
  inputs: Record<string, unknown> = {};
  outputs: Record<string, unknown> = {};
  model?: string;
  tokens?: TokenUsage;
  /** undefined: no model call; null: a call with an unknown price. */
  cost?: number | null;
  childUsage?: RunUsage;
  error?: SpanError;
  skipReason?: string;
  meta?: Record<string, unknown>;
  /** The messages of the node's last model call, read (and bounded) once, when the span is made. */
  messages?: () => readonly SpanMessage[];

  constructor(nodeId: string, nodeType: string) {
    this.nodeId = nodeId;
    this.nodeType = nodeType;
  }

  recordUsage(model: string, usage: TokenUsage, cost: number | null): void {
    this.model = model;
    const t = this.tokens ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
    this.tokens = {
      promptTokens: t.promptTokens + (usage.promptTokens || 0),
      completionTokens: t.completionTokens + (usage.completionTokens || 0),
      totalTokens: t.totalTokens + (usage.totalTokens || 0),
    };
    if (cost === null || this.cost === null) this.cost = null;
    else this.cost = (this.cost ?? 0) + cost;
  }

  /** Child runs already counted: a retried node replays its journaled children again. */
  private counted?: Set<string>;

  /** Usage of a child run this node started (summed over its children, each counted once). */
  addChildUsage(runId: string, usage: RunUsage): void {
    this.counted ??= new Set();
    if (this.counted.has(runId)) return;
    this.counted.add(runId);
    const u = this.childUsage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 };
    this.childUsage = {
      promptTokens: u.promptTokens + (usage.promptTokens || 0),
      completionTokens: u.completionTokens + (usage.completionTokens || 0),
      totalTokens: u.totalTokens + (usage.totalTokens || 0),
      cost: u.cost === null || usage.cost === null ? null : u.cost + (usage.cost || 0),
    };
  }

  setMeta(meta: Record<string, unknown>): void {
    this.meta = this.meta ? Object.assign(this.meta, meta) : { ...meta };
  }

  /** Append to a list kept in meta (e.g. re-ask messages). */
  pushMeta(key: string, value: unknown): void {
    const meta = (this.meta ??= {});
    const list = Array.isArray(meta[key]) ? (meta[key] as unknown[]) : [];
    list.push(value);
    meta[key] = list;
  }

  toSpan(status: SpanStatus): Span {
    const span: Span = {
      nodeId: this.nodeId,
      nodeType: this.nodeType,
      status,
      inputs: this.inputs,
      outputs: this.outputs,
      startedAt: Math.floor(this.startedAt),
      durationMs: this.endedAt > this.startedAt ? round3(this.endedAt - this.startedAt) : 0,
      attempts: this.attempts,
    };
    if (this.model !== undefined) span.model = this.model;
    if (this.tokens !== undefined) span.tokens = this.tokens;
    if (this.cost !== undefined) span.cost = this.cost === null ? null : round6(this.cost);
    if (this.childUsage !== undefined)
      span.childUsage = {
        ...this.childUsage,
        cost: this.childUsage.cost === null ? null : round6(this.childUsage.cost),
      };
    if (this.error !== undefined) span.error = this.error;
    if (this.skipReason !== undefined) span.skipReason = this.skipReason;
    if (this.meta !== undefined) span.meta = this.meta;
    if (this.messages !== undefined) {
      const { messages, omitted } = boundMessages(this.messages());
      span.messages = messages;
      if (omitted > 0) span.messagesOmitted = omitted;
    }
    return span;
  }
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

/**
 * A node's abort switch. The AbortController behind `signal` is created only when an
 * executor (or a retry wait) asks for the signal: most nodes never do, and controllers are
 * not free. The scheduler is told through one direct callback, not an event listener.
 */
export class NodeAbort {
  aborted = false;
  reason: unknown = undefined;
  private ctrl?: AbortController;
  private listener?: (reason: unknown) => void;

  get signal(): AbortSignal {
    if (!this.ctrl) {
      this.ctrl = new AbortController();
      if (this.aborted) this.ctrl.abort(this.reason);
    }
    return this.ctrl.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.ctrl?.abort(reason);
    const listener = this.listener;
    this.listener = undefined;
    listener?.(reason);
  }

  /** The one callback run on abort (replaces any previous one; undefined clears it). */
  onAbort(listener: ((reason: unknown) => void) | undefined): void {
    this.listener = listener;
  }
}

export interface NodeContextInit {
  runId: string;
  flow: Flow;
  node: FlowNode;
  config: unknown;
  inputs: Record<string, unknown>;
  runInputs: Record<string, unknown>;
  abort: NodeAbort;
  services: RunServices;
  feedback?: ReaskFeedback;
  span: SpanRecord;
  /** Undefined when nobody listens (no token events are built then). */
  onEvent?: (event: RunEvent) => void;
  /** `live` turns false once the node's attempt is over: late tokens are dropped; `streamed` turns true with the first token sent. */
  attempt: { live: boolean; streamed?: boolean };
  /** Whether this node's tokens are sent at all (default true). */
  streams?: boolean;
}

export function createNodeContext(init: NodeContextInit): NodeContext {
  const { span, runId, node, attempt, abort } = init;
  const onEvent = init.onEvent;
  const tokenEvent = init.streams === false ? undefined : onEvent;
  const ctx: NodeContext = {
    runId,
    flow: init.flow,
    node,
    config: init.config,
    inputs: init.inputs,
    runInputs: init.runInputs,
    get signal(): AbortSignal {
      return abort.signal;
    },
    services: init.services,
    emitToken(token: string): void {
      if (tokenEvent && attempt.live && !abort.aborted) {
        attempt.streamed = true;
        tokenEvent({ type: 'token', runId, nodeId: node.id, token });
      }
    },
    emitProgress(progress: Record<string, unknown>): void {
      if (onEvent && attempt.live && !abort.aborted)
        onEvent({ type: 'node_progress', runId, nodeId: node.id, at: Math.floor(nowMs()), progress });
    },
    recordUsage(model: string, usage: TokenUsage, cost: number | null): void {
      span.recordUsage(model, usage, cost);
    },
    setMeta(meta: Record<string, unknown>): void {
      span.setMeta(meta);
    },
    recordMessages(messages: () => readonly SpanMessage[]): void {
      span.messages = messages;
    },
  };
  if (init.feedback) ctx.feedback = init.feedback;
  return ctx;
}
