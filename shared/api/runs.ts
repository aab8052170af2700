/**
 * Wire shapes of the runs API (server/http/routes/runs.ts): starting a run (JSON or SSE),
 * single-node debug runs, a flow's run history, one run, its child runs, cancel. The
 * server's run store (server/storage/runs.ts) stores these shapes; the client's API modules
 * (client/api/http.ts, client/api/sse.ts) read them.
 */
import { z } from 'zod';
import type { RunParent, RunStatus, RunUsage, SpanError, Trace } from '../runtime/events';
import type { AsyncRunAccepted, HumanTask } from './tasks';

export type { AsyncRunAccepted } from './tasks';

/** The `inputs` object of a run request: flow input name (or node input port) → value. */
const runInputsSchema = z.record(z.string(), z.unknown());

/**
 * Body of `POST /api/flows/:id/runs`. Whether the answer streams is the `Accept` header's
 * choice (`text/event-stream`), not the body's. `inputs` are checked against the flow's
 * declared inputs by the run service (`400 invalid_inputs`); this checks the envelope.
 */
export const runRequestSchema = z
  .object({
    inputs: runInputsSchema.optional(),
    /** `sync` (default): answer with the finished (or waiting) run; `async`: `202` at once, run durably. */
    mode: z.enum(['sync', 'async']).optional(),
  })
  .strict();
export type RunRequest = z.infer<typeof runRequestSchema>;

/** Body of `POST /api/flows/:id/nodes/:nodeId/run`: values for the node's input ports. */
export const nodeRunRequestSchema = z.object({ inputs: runInputsSchema.optional() }).strict();
export type NodeRunRequest = z.infer<typeof nodeRunRequestSchema>;

/** `200` answer of a synchronous run request (and of a single-node run) without SSE. */
export interface RunResponse {
  runId: string;
  status: RunStatus;
  outputs: Record<string, unknown>;
  trace: Trace;
}

/** The last SSE event of a streamed run, `event: result`. */
export interface RunResultEvent {
  runId: string;
  status: RunStatus;
  outputs: Record<string, unknown>;
}

/** One run in a list (history, child runs). */
export interface RunSummary {
  runId: string;
  flowId: string;
  status: RunStatus;
  /** `api`, `cli`, `node` (debug runs), `playground`, `evaluation`, … */
  source: string;
  /** The node of a single-node debug run. */
  nodeId?: string;
  startedAt: number;
  finishedAt?: number;
  durationMs?: number;
  error?: SpanError & { nodeId?: string };
  usage: RunUsage;
  /** Present on a child run (started by a subflow, map, loop or agent node). */
  parent?: Omit<RunParent, 'depth'>;
}

/** A stored run: its summary plus what went in and came out. */
export interface RunRecord extends RunSummary {
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  trace?: Trace;
}

/** Durable state of a run that can wait on people (or was started with `mode: "async"`). */
export interface DurableRunState {
  status: 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
  attempts: number;
  updatedAt: number;
}

/** `GET /api/runs/:id`. */
export interface RunDetailResponse extends RunRecord {
  /** Whether it is still in flight (in this process, or a durable run being worked on). */
  running: boolean;
  /** Only for durable runs. */
  durable?: DurableRunState;
  /** Only for durable runs: the tasks it waits on (pending ones). */
  tasks?: HumanTask[];
}

/** `GET /api/flows/:id/runs`: root runs, newest first. */
export interface RunPage {
  runs: RunSummary[];
  /** Pass as `before` to get the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** `GET /api/runs/:id/children`: a run's child runs, in item / iteration order. */
export interface ChildRunPage {
  runs: RunSummary[];
  /** Child runs in total (of that node, when one was given). */
  total: number;
  offset: number;
  limit: number;
}

/** `202` answer of `POST /api/runs/:id/cancel`. */
export interface CancelRunResponse {
  runId: string;
  cancelled: true;
}

/** Every answer of `POST /api/flows/:id/runs` without SSE. */
export type StartRunResponse = RunResponse | AsyncRunAccepted;
