/**
 * Durable runs, the runtime's side: a run started with a journal (RunServices.journal)
 * records every completed node under its path in the run tree, and a node may pause the
 * run for a person (NodeSuspend). A later attempt of the same run gets the journal back:
 * the scheduler replays recorded nodes instead of running them, and the paused node finds
 * its decision. The runtime never touches storage: the journal is the caller's (server/durable).
 *
 * Paths: a root run's node is `<nodeId>`; a child run's nodes are under
 * `<parent path of the starting node>[<item or key>]/`, e.g. `review-each[3]/approve`.
 * Node-private entries (an agent's turns) are `<node path>#<key>`.
 */
import { createHash } from 'node:crypto';
import type { RunUsage, Span } from '../../shared';
import type { TaskDecision, TaskKind } from '../../shared/api/tasks';

/** What a completed node left in the journal. */
export interface StepEntry {
  outputs: Record<string, unknown>;
  skipPorts?: string[];
  runOutputs?: Record<string, unknown>;
  span: Span;
}

/** What a completed child run left in the journal (`<child prefix>=`). */
export interface ChildEntry {
  runId: string;
  outputs: Record<string, unknown>;
  /** The child run's usage, so a resumed parent still counts it. */
  usage?: RunUsage;
}

/** What a node asks a person. */
export interface TaskAsk {
  kind: TaskKind;
  message: string;
  fields?: Record<string, unknown>;
  tool?: { name: string; arguments: unknown; toolKind?: 'flow' | 'mcp' };
  onTimeout: 'reject' | 'approve' | 'fail';
  /** Deadline from the moment the task is first created. */
  timeoutMs?: number;
}

/** A decided task as a node reads it. */
export interface TaskAnswer {
  status: 'approved' | 'rejected' | 'timed_out';
  decision: TaskDecision;
}

/** Where the asking node sits (for the task's context). */
export interface TaskSite {
  nodeId: string;
  /** The flow holding the node. */
  flowId: string;
  /** Map item / loop iteration of the innermost child run. */
  item?: number;
}

/** The run tree's journal, provided by the caller; reads are synchronous (preloaded). */
export interface RunJournal {
  /** The root run's id (child run ids are derived from it and their path). */
  readonly rootRunId: string;
  get(path: string): unknown;
  /** Record an entry (the caller writes it before the run reports `waiting` or ends). */
  put(path: string, value: unknown): void;
  /** The decision on the task at `path`, when it was decided before this attempt started. */
  answer(path: string): TaskAnswer | undefined;
  /** Ask a person: a pending task at `path` (idempotent: a task already there stays as it is). */
  ask(path: string, ask: TaskAsk, site: TaskSite): void;
}

/** Thrown by an executor to pause its node (and so the run) until a person decides. */
export class NodeSuspend extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'NodeSuspend';
  }
}

/** A node's view of the journal (NodeContext.durable). */
export interface NodeDurable {
  /** The node's path in the run tree. */
  readonly path: string;
  /** A node-private entry from an earlier attempt (`key` under the node's path). */
  get<T = unknown>(key: string): T | undefined;
  put(key: string, value: unknown): void;
  /** The decision on this node's task (`key`: one of several tasks of the node). */
  answer(key?: string): TaskAnswer | undefined;
  /** Ask a person (idempotent). */
  ask(ask: TaskAsk, key?: string): void;
  /** Pause the node: throws NodeSuspend. */
  suspend(reason: string): never;
}

export function nodeDurable(journal: RunJournal, path: string, site: TaskSite): NodeDurable {
  const sub = (key?: string): string => (key === undefined ? path : `${path}#${key}`);
  return {
    path,
    get: <T>(key: string) => journal.get(sub(key)) as T | undefined,
    put: (key, value) => journal.put(sub(key), value),
    answer: (key) => journal.answer(sub(key)),
    ask: (ask, key) => journal.ask(sub(key), ask, site),
    suspend(reason: string): never {
      throw new NodeSuspend(reason);
    },
  };
}

/** The child-run prefix of node `nodeId` of the run at `prefix`. */
export function childPrefix(prefix: string, nodeId: string, key: string | number): string {
  return `${prefix}${nodeId}[${key}]/`;
}

/** A child run's id, the same in every attempt of the root run (so its record is rewritten, not duplicated). */
export function stableRunId(rootRunId: string, prefix: string): string {
  const h = createHash('sha256').update(`${rootRunId}\u0000${prefix}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
