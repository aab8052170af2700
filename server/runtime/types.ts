/**
 * Contracts between the scheduler and the executors. The scheduler knows nothing of
 * node types; an executor knows nothing of other nodes.
 */
import type {
  Flow,
  FlowNode,
  NodeTypeId,
  NodeConfig,
  RunEvent,
  SpanError,
  TokenUsage,
  Trace,
  SpanMessage,
} from '../../shared';
import type { Config } from '../config';
import { capText } from '../../shared/limits';
import type { McpTools } from '../mcp/types';
import type { NodeDurable, RunJournal } from './durable';

/** Error an executor throws to fail its node with a stable code (its message is capped: shared/limits.ts). */
export class NodeError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** Milliseconds the provider asked us to wait (Retry-After), if any. */
  readonly retryAfterMs?: number;
  readonly path?: string;
  constructor(
    code: string,
    message: string,
    opts: { retryable?: boolean; retryAfterMs?: number; path?: string; cause?: unknown } = {},
  ) {
    super(capText(String(message)), opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'NodeError';
    this.code = code;
    this.retryable = opts.retryable ?? false;
    this.retryAfterMs = opts.retryAfterMs;
    this.path = opts.path;
  }
  toSpanError(): SpanError {
    return {
      code: this.code,
      message: this.message,
      ...(this.path ? { path: this.path } : {}),
      retryable: this.retryable,
    };
  }
}

/** Feedback given to a node that is being re-asked by a downstream validator. */
export interface ReaskFeedback {
  /** 1 for the first re-ask. */
  attempt: number;
  /** What the node produced last time (its outputs). */
  previousOutputs: Record<string, unknown>;
  /** Human-readable list of what was wrong, to append to the conversation. */
  message: string;
}

/**
 * The flows a run may reference by id (subflow, map, loop, agent flow tools): the flows
 * folder for builder runs, the deployment's or evaluation's snapshot otherwise.
 */
export interface FlowResolver {
  /** The flow with this id, parsed and valid; undefined when there is none. */
  get(id: string): Promise<Flow | undefined>;
}

/** Services the runtime hands to executors; tests substitute fakes of the outer world only. */
export interface RunServices {
  config: Config;
  /** Flows that nodes of this run may start as child runs (absent: no child runs). */
  flows?: FlowResolver;
  /** Knowledge-base search for the retrieval node (absent until a store is wired). */
  knowledge?: KnowledgeSearch;
  /** The operator's MCP servers (BRAID_MCP_CONFIG) for agent tools (absent: none configured). */
  mcp?: McpTools;
  /** Caps the caller of this run sets (a deployment's settings, a chat request's `max_tokens`). */
  limits?: RunLimits;
  /**
   * The run's journal (durable runs only): completed nodes are recorded and replayed on a
   * later attempt, and nodes may pause the run for people (server/runtime/durable.ts).
   */
  journal?: RunJournal;
}

export interface RunLimits {
  /** The most completion tokens any model call of the run may ask for (lowers a node's `maxTokens`). */
  maxTokens?: number;
}

export interface KnowledgeSearch {
  search(
    knowledgeBase: string,
    query: string,
    opts: {
      mode: 'bm25' | 'vector' | 'hybrid';
      topK: number;
      minScore?: number;
      filter?: Record<string, unknown>;
      signal?: AbortSignal;
    },
  ): Promise<Array<{ id: string; text: string; score: number; metadata: Record<string, unknown> }>>;
  /** The same search, also saying how it ran (mode used; notices such as BM25-only or no match). */
  searchDetailed?(
    knowledgeBase: string,
    query: string,
    opts: Parameters<KnowledgeSearch['search']>[2],
  ): Promise<{
    hits: Array<{ id: string; text: string; score: number; metadata: Record<string, unknown> }>;
    mode: 'bm25' | 'vector' | 'hybrid';
    notices: Array<{ code: string; message: string }>;
  }>;
}

export interface NodeContext<C = unknown> {
  runId: string;
  flow: Flow;
  node: FlowNode;
  /** The node's config parsed with its type's defaults. */
  config: C;
  /** Input values by port name (unconnected ports take the node's `values` or are absent). */
  inputs: Record<string, unknown>;
  /** The run's inputs (checked against `flow.inputs`, defaults applied); the input node emits them. */
  runInputs: Record<string, unknown>;
  /** Aborted on cancel, run abort, or node timeout. Pass it to every outbound call. */
  signal: AbortSignal;
  services: RunServices;
  /** Present when a downstream validator asked this node to try again. */
  feedback?: ReaskFeedback;
  /** Present in a durable run: the node's journal entries and tasks for people. */
  durable?: NodeDurable;
  /** Stream a token (prompt nodes) into the event stream. */
  emitToken(token: string): void;
  /** Report progress for live views (`node_progress` event; not stored in the trace). */
  emitProgress(progress: Record<string, unknown>): void;
  /** Record model usage for the span (may be called several times; sums). cost null = unknown price. */
  recordUsage(model: string, usage: TokenUsage, cost: number | null): void;
  /** Attach node-specific facts to the span (merged). */
  setMeta(meta: Record<string, unknown>): void;
  /**
   * The messages a model call sends (call it before each call; the last one wins). A
   * function, read once when the span is made: recording costs nothing per call.
   */
  recordMessages(messages: () => readonly SpanMessage[]): void;
  /**
   * Run another flow as a child run of this node: same scheduler and executors, the
   * tree's one abort signal, concurrency budget and node-execution budget; its events go
   * to the same listener with `parent` set on its `run_started`. Resolves with the
   * child's result (a failed child resolves with status `failed`; it does not throw).
   * Absent where the runtime was started without a flow resolver.
   */
  runChild?(
    flowId: string,
    inputs: Record<string, unknown>,
    opts?: {
      iteration?: number;
      signal?: AbortSignal;
      /** Names the child among the node's children in a durable run (default: the iteration, else 0). */
      key?: string;
    },
  ): Promise<RunResult>;
}

export interface NodeResult {
  /** Values by output port name. */
  outputs: Record<string, unknown>;
  /** Output ports not taken: nodes fed only through them are skipped (condition, validator route). */
  skipPorts?: string[];
  /**
   * Ask the scheduler to re-run the node feeding input `port` with feedback, then run
   * this node again (validator `reask`). The scheduler bounds it by `maxAttempts`.
   */
  reask?: { port: string; message: string; maxAttempts: number };
  /** Values that become the run's outputs (merged over earlier ones; the output node sets them). */
  runOutputs?: Record<string, unknown>;
}

export type Executor<C = unknown> = (ctx: NodeContext<C>) => Promise<NodeResult>;

export type ExecutorMap = { [T in NodeTypeId]: Executor<NodeConfig<T>> };

export interface RunOptions {
  runId?: string;
  signal?: AbortSignal;
  /** Every event, in order. */
  onEvent?: (event: RunEvent) => void;
  services: RunServices;
  /** Concurrency limit of nodes in flight (default: unlimited). */
  maxConcurrency?: number;
  /** Only run this node, with the given inputs (single-node debug run). */
  only?: { nodeId: string; inputs: Record<string, unknown> };
  /**
   * Which nodes emit `token` events. `all` (default): every streaming node, and a retry is
   * announced by `node_retry` (the listener drops that node's tokens so far) — the builder's
   * own run panel. `validated`: only the nodes `streamableNodes` allows (no text a
   * validator may still block), and a node that has streamed tokens is never retried, so
   * no text is sent twice — public callers.
   */
  tokens?: 'all' | 'validated';
  /**
   * Where each child run of the tree registers, while it runs, a controller that cancels
   * that child alone (its parent node sees a `cancelled` child: a map item fails with
   * `cancelled` and `onItemError` applies). RunService passes its registry so that
   * `POST /api/runs/:childId/cancel` works; without it child runs cost no controller.
   */
  childCancels?: Map<string, AbortController>;
}

export interface RunResult {
  runId: string;
  status: Trace['status'];
  outputs: Record<string, unknown>;
  trace: Trace;
}

/** Bad run inputs: the caller sent something the flow does not accept. */
export class RunInputError extends Error {
  readonly issues: Array<{ path: string; message: string }>;
  constructor(issues: Array<{ path: string; message: string }>) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
    this.name = 'RunInputError';
    this.issues = issues;
  }
}
