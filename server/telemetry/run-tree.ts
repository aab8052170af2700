/**
 * Turns the runtime's event stream into OpenTelemetry spans nested as the run tree: one
 * span per run, one per node execution under it, and a child run (subflow, map item, loop
 * iteration, agent tool call) under the span of the node that started it. A root run's
 * trace id is its run id (a UUID without dashes), so a Braid run is found in any backend
 * by its id.
 *
 * State is per open run and dropped at `run_finished`; runs that never finish (a crashed
 * caller) are evicted, oldest first, beyond `maxOpenRuns`, their spans ended and marked
 * incomplete. Timestamps come from the events, never from the clock at export time.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span as OtelSpan,
  type Tracer,
} from '@opentelemetry/api';
import type { RunEvent, Span, SpanError, Trace } from '../../shared';
import {
  MAX_MESSAGE_CHARS,
  nodeEndAttributes,
  nodeStartAttributes,
  runEndAttributes,
  runInputAttributes,
  runStartAttributes,
  type ContentOptions,
} from './attributes';
import { boundedText } from './content';

/** Extra attributes put on the span of a root run (`braid.source`, deployment slug…). */
export type RunLabels = Attributes;

/** Lets the exporter choose the trace id of the next root span (see provider.ts). */
export interface TraceIdHint {
  next?: string;
}

export interface RunTreeOptions extends ContentOptions {
  /** Runs tracked at once; beyond it the oldest is ended as incomplete (default 4096). */
  maxOpenRuns?: number;
  ids?: TraceIdHint;
}

interface NodeState {
  span: OtelSpan;
  ctx: Context;
  /** A `node_retry` was seen: the next `node_started` is another attempt of this span. */
  retrying: boolean;
}

interface RunState {
  span: OtelSpan;
  ctx: Context;
  nodes: Map<string, NodeState>;
}

export const DEFAULT_MAX_OPEN_RUNS = 4096;

export class RunTreeTracer {
  private readonly runs = new Map<string, RunState>();
  private readonly maxOpenRuns: number;

  constructor(
    private readonly tracer: Tracer,
    private readonly opts: RunTreeOptions,
  ) {
    this.maxOpenRuns = Math.max(1, opts.maxOpenRuns ?? DEFAULT_MAX_OPEN_RUNS);
  }

  /** Runs currently tracked (for tests and leak checks). */
  get openRuns(): number {
    return this.runs.size;
  }

  onEvent(event: RunEvent, labels?: RunLabels): void {
    switch (event.type) {
      case 'run_started':
        return this.runStarted(event, labels);
      case 'node_started':
        return this.nodeStarted(event);
      case 'node_retry':
        return this.nodeRetry(event);
      case 'node_finished':
      case 'node_failed':
      case 'node_skipped':
        return this.nodeEnded(event.runId, event.span);
      case 'run_finished':
        return this.runFinished(event.runId, event.trace);
      default:
        // tokens and progress are not exported
        return;
    }
  }

  /** End every open span as incomplete (shutdown). */
  endAll(at = Date.now()): void {
    for (const runId of [...this.runs.keys()]) this.evict(runId, at);
  }

  private runStarted(ev: Extract<RunEvent, { type: 'run_started' }>, labels?: RunLabels): void {
    if (this.runs.has(ev.runId)) return;
    while (this.runs.size >= this.maxOpenRuns) this.evict(this.runs.keys().next().value!, ev.at);
    let parentCtx = ROOT_CONTEXT;
    let traceSeed: string | undefined = ev.runId;
    if (ev.parent) {
      const parentRun = this.runs.get(ev.parent.runId);
      const parentNode = parentRun?.nodes.get(ev.parent.nodeId);
      if (parentNode) parentCtx = parentNode.ctx;
      else if (parentRun) parentCtx = parentRun.ctx;
      // The parent is gone (evicted): keep the child in the root's trace at least.
      else traceSeed = ev.parent.rootRunId;
    }
    if (parentCtx === ROOT_CONTEXT && this.opts.ids) this.opts.ids.next = traceIdOf(traceSeed);
    const attributes = runStartAttributes(ev);
    if (labels && !ev.parent) Object.assign(attributes, labels);
    const span = this.tracer.startSpan(
      `run ${ev.flowId}`,
      { kind: SpanKind.INTERNAL, startTime: ev.at, attributes },
      parentCtx,
    );
    if (this.opts.ids) this.opts.ids.next = undefined;
    if (span.isRecording()) span.setAttributes(runInputAttributes(ev.inputs, this.opts));
    this.runs.set(ev.runId, { span, ctx: trace.setSpan(ROOT_CONTEXT, span), nodes: new Map() });
  }

  private nodeStarted(ev: Extract<RunEvent, { type: 'node_started' }>): void {
    const run = this.runs.get(ev.runId);
    if (!run) return;
    const open = run.nodes.get(ev.nodeId);
    if (open?.retrying) {
      open.retrying = false;
      open.span.addEvent('attempt', { 'braid.attempt': ev.attempt }, ev.at);
      return;
    }
    if (open) {
      // Started again without a retry: a validator re-ask superseded this execution.
      open.span.setAttribute('braid.node.status', 'superseded');
      open.span.end(ev.at);
    }
    this.openNode(run, ev.nodeId, ev.nodeType, ev.at);
  }

  private nodeRetry(ev: Extract<RunEvent, { type: 'node_retry' }>): void {
    const node = this.runs.get(ev.runId)?.nodes.get(ev.nodeId);
    if (!node) return;
    node.retrying = true;
    node.span.addEvent(
      ev.error.code === 'reask' ? 'reask' : 'retry',
      {
        'braid.attempt': ev.attempt,
        'braid.retry.delay_ms': ev.delayMs,
        'braid.error.code': ev.error.code,
        'braid.error.message': this.message(ev.error.message),
      },
      ev.at,
    );
  }

  private nodeEnded(runId: string, span: Span): void {
    const run = this.runs.get(runId);
    if (!run) return;
    let node = run.nodes.get(span.nodeId);
    // Skipped nodes never started; a failure before start (bad config) may not have either.
    node ??= this.openNode(run, span.nodeId, span.nodeType, span.startedAt);
    run.nodes.delete(span.nodeId);
    // A span the sampler dropped records nothing: skip building its attributes.
    if (node.span.isRecording()) {
      node.span.setAttributes(nodeEndAttributes(span, this.opts));
      this.setStatus(node.span, span.status, span.error);
    }
    node.span.end(Math.max(span.startedAt + span.durationMs, 0));
  }

  private runFinished(runId: string, t: Trace): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    const end = t.startedAt + t.durationMs;
    for (const node of run.nodes.values()) {
      node.span.setAttribute('braid.node.status', 'unfinished');
      node.span.end(end);
    }
    if (run.span.isRecording()) {
      run.span.setAttributes(runEndAttributes(t, this.opts));
      this.setStatus(run.span, t.status, t.error);
    }
    run.span.end(end);
  }

  private openNode(run: RunState, nodeId: string, nodeType: string, at: number): NodeState {
    const span = this.tracer.startSpan(
      `${nodeType} ${nodeId}`,
      {
        kind: nodeType === 'prompt' ? SpanKind.CLIENT : SpanKind.INTERNAL,
        startTime: at,
        attributes: nodeStartAttributes(nodeId, nodeType),
      },
      run.ctx,
    );
    const node: NodeState = { span, ctx: trace.setSpan(ROOT_CONTEXT, span), retrying: false };
    run.nodes.set(nodeId, node);
    return node;
  }

  /** End a run that never finished (and its open nodes) as incomplete. */
  private evict(runId: string, at: number): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    for (const node of run.nodes.values()) {
      node.span.setAttribute('braid.node.status', 'unfinished');
      node.span.end(at);
    }
    run.span.setAttributes({ 'braid.run.status': 'incomplete', 'braid.incomplete': true });
    run.span.end(at);
  }

  private setStatus(span: OtelSpan, status: string, error: SpanError | undefined): void {
    if (status === 'succeeded') span.setStatus({ code: SpanStatusCode.OK });
    else if (status === 'failed') {
      const message = error ? this.message(`${error.code}: ${error.message}`) : 'failed';
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    // skipped and cancelled stay UNSET: neither is this span's fault
  }

  private message(text: string): string {
    return boundedText(text, MAX_MESSAGE_CHARS, this.opts.secrets);
  }
}

/** A UUID run id as a trace id (32 lowercase hex digits); undefined when it is not one. */
export function traceIdOf(runId: string | undefined): string | undefined {
  if (!runId) return undefined;
  const hex = runId.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : undefined;
}
