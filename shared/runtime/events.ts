/** Token counts of one model call or a sum of them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface SpanError {
  /** Stable machine code, e.g. `timeout`, `provider_not_configured`, `sandbox_error`, `ssrf_blocked`. */
  code: string;
  message: string;
  /** Where in the node the problem is (e.g. a config path). */
  path?: string;
  retryable?: boolean;
}

/** `waiting`: the node paused the run for a person (a human node, a tool approval, a waiting child run). */
export type SpanStatus = 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'waiting';

/**
 * One message a model node sent to its model: rendered templates, inserted history,
 * re-ask turns, and (agents) the model's tool calls and the tools' results. Secrets are
 * redacted and sizes capped like the rest of the trace (`MAX_SPAN_MESSAGE_CHARS` per
 * message, `MAX_SPAN_MESSAGES_CHARS` per span).
 */
export interface SpanMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** The tool's name (tool messages). */
  name?: string;
  /** The call a tool message answers. */
  toolCallId?: string;
  /** The tool calls an assistant turn made. */
  toolCalls?: Array<{ id?: string; name: string; arguments: unknown }>;
}

/** One node's part of a run. */
export interface Span {
  nodeId: string;
  nodeType: string;
  status: SpanStatus;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  /** Epoch ms. */
  startedAt: number;
  durationMs: number;
  /** Attempts made (retries and re-asks included). */
  attempts: number;
  model?: string;
  tokens?: TokenUsage;
  /** USD; null when the model's price is unknown. Absent for nodes that call no model. */
  cost?: number | null;
  error?: SpanError;
  /** Why a skipped node was skipped. */
  skipReason?: string;
  /** Node-specific facts (retrieved chunk ids, HTTP status, re-ask messages…). */
  meta?: Record<string, unknown>;
  /** Model nodes (prompt, agent): the messages of the last model call, as sent. */
  messages?: SpanMessage[];
  /** Messages left out of `messages` to stay within `MAX_SPAN_MESSAGES_CHARS` (the oldest after the first). */
  messagesOmitted?: number;
  /**
   * Nodes that start child runs (subflow, map, loop, agent flow tools): the usage of those
   * runs, summed. Counted in the run's `usage`; kept apart from `tokens`/`cost`, which are the
   * node's own model calls (exporters report those as model usage).
   */
  childUsage?: RunUsage;
}

/** `waiting`: paused on tasks for people (its state is durable; a decision resumes it). */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'waiting';

/**
 * Where a run sits in a run tree (subflow, map, loop and agent tool calls start child
 * runs). Absent on a root run. A child run's events are delivered to the same listener
 * as its parent's, each with the child's own `runId`; its `run_started` carries `parent`,
 * so any subscriber (SSE, canvas, OpenTelemetry export, logs) can place every event.
 */
export interface RunParent {
  /** The run that started this one. */
  runId: string;
  /** The node in that run (a subflow, map, loop or agent node) that started it. */
  nodeId: string;
  /** Map item index, loop iteration or agent tool-call number (0-based). */
  iteration?: number;
  /** The root run of the tree. */
  rootRunId: string;
  /** 1 for a child of the root, 2 for a grandchild… */
  depth: number;
}

export interface RunUsage extends TokenUsage {
  /** USD; null when any model call had an unknown price. */
  cost: number | null;
}

/** The stored record of a run. */
export interface Trace {
  runId: string;
  flowId: string;
  status: RunStatus;
  startedAt: number;
  durationMs: number;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  error?: SpanError & { nodeId?: string };
  spans: Span[];
  usage: RunUsage;
  /** Present on a child run: the node and run that started it. */
  parent?: RunParent;
}

/** The one typed event union the runtime reports through (SSE, traces, canvas, logs). */
export type RunEvent =
  | {
      type: 'run_started';
      runId: string;
      flowId: string;
      at: number;
      inputs: Record<string, unknown>;
      /** Present on a child run. */
      parent?: RunParent;
    }
  | {
      type: 'node_started';
      runId: string;
      nodeId: string;
      nodeType: string;
      at: number;
      attempt: number;
      inputs: Record<string, unknown>;
    }
  | { type: 'token'; runId: string; nodeId: string; token: string }
  /**
   * Progress of a long-running node, for live views: a map's `{ done, failed, total }`,
   * a loop's `{ iteration }`, an agent's steps (`{ step: {…} }`). Not stored in the trace.
   */
  | { type: 'node_progress'; runId: string; nodeId: string; at: number; progress: Record<string, unknown> }
  | {
      type: 'node_retry';
      runId: string;
      nodeId: string;
      at: number;
      attempt: number;
      delayMs: number;
      error: SpanError;
    }
  | { type: 'node_finished'; runId: string; nodeId: string; at: number; span: Span }
  | { type: 'node_failed'; runId: string; nodeId: string; at: number; span: Span }
  | { type: 'node_skipped'; runId: string; nodeId: string; at: number; span: Span }
  /** The node paused the run for a person (or waits on a child run that did). */
  | { type: 'node_waiting'; runId: string; nodeId: string; at: number; span: Span; reason: string }
  | { type: 'run_finished'; runId: string; at: number; trace: Trace };

export type RunEventType = RunEvent['type'];
