/**
 * Tasks for people (human nodes and agent tool approvals) and async runs: the shapes of
 * `GET /api/tasks`, `POST /api/tasks/:taskId`, `POST /api/flows/:id/runs` with
 * `mode: "async"` and the waiting part of `GET /api/runs/:id`. The server
 * (server/http/routes/tasks.ts) and the Inbox page both use these.
 */
import { z } from 'zod';

/** `approval` and `input` come from human nodes; `tool` from an agent tool with `requireApproval`. */
export type TaskKind = 'approval' | 'input' | 'tool';
export type TaskStatus = 'pending' | 'approved' | 'rejected' | 'timed_out' | 'cancelled';
export const TASK_STATUSES: readonly TaskStatus[] = ['pending', 'approved', 'rejected', 'timed_out', 'cancelled'];

export interface TaskDecision {
  decision: 'approve' | 'reject';
  /** Form values (input kind) or edited tool arguments (tool kind). */
  response?: Record<string, unknown>;
  comment?: string;
  /** Who decided: the `decidedBy` of the request, or `timeout`. */
  decidedBy: string;
  decidedAt: number;
  /** True when the deadline passed and `onTimeout` decided. */
  timedOut?: boolean;
}

export interface HumanTask {
  id: string;
  /** The root run that waits (the one `GET /api/runs/:id` shows). */
  runId: string;
  flowId: string;
  flowName: string;
  /** The node that asks (inside the called flow when the task comes from a map / subflow item). */
  nodeId: string;
  /** The flow holding the node (differs from `flowId` inside a map, subflow or loop). */
  nodeFlowId: string;
  /** Where in the run tree the node sits, e.g. `review-each[3]/approve` (item 3 of map node review-each). */
  path: string;
  /** Map item / loop iteration of the innermost child run, when there is one. */
  item?: number;
  kind: TaskKind;
  /** The rendered message the reviewer reads. */
  message: string;
  /** JSON Schema of the form (input kind). */
  fields?: Record<string, unknown>;
  /** The call to approve (tool kind): the tool's name, kind and the model's arguments. */
  tool?: { name: string; arguments: unknown; toolKind?: 'flow' | 'mcp' };
  status: TaskStatus;
  onTimeout: 'reject' | 'approve' | 'fail';
  createdAt: number;
  /** Epoch ms after which `onTimeout` decides (absent: no deadline). */
  deadline?: number;
  decision?: TaskDecision;
}

export interface TaskList {
  tasks: HumanTask[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** Body of `POST /api/tasks/:taskId`. */
export const taskDecisionBody = z
  .object({
    decision: z.enum(['approve', 'reject']),
    response: z.record(z.string(), z.unknown()).optional(),
    comment: z.string().max(10_000).optional(),
    decidedBy: z.string().min(1).max(200).optional(),
  })
  .strict();
export type TaskDecisionBody = z.infer<typeof taskDecisionBody>;

/** Answer of `POST /api/tasks/:taskId` (200): the decided task and its run's status right after. */
export interface TaskDecisionResult {
  task: HumanTask;
  runId: string;
  /** `running` while the run resumes in the background. */
  runStatus: string;
}

/** Answer of `POST /api/flows/:id/runs` with `mode: "async"` (202). */
export interface AsyncRunAccepted {
  runId: string;
  status: 'running' | 'waiting' | 'succeeded' | 'failed' | 'cancelled';
}
