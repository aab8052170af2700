/** Client for /api/tasks (human tasks: approvals, input forms, agent tool approvals). */
import { getJson, type JsonSchema } from '../api/http';

export type TaskKind = 'approval' | 'input' | 'tool';

export interface HumanTask {
  taskId: string;
  status: string;
  kind: TaskKind;
  /** The run that waits on this task (a child run for a map item or an agent tool call). */
  runId: string;
  /** The run the user started (the root of the run tree); the run id link opens it. */
  rootRunId: string;
  flowId: string;
  flowName?: string;
  /** The human node (or the agent node, for a tool approval). */
  nodeId: string;
  /** The message rendered from the run's data. */
  message: string;
  /** Form of an `input` task (JSON Schema). */
  fields?: JsonSchema;
  /** The call an agent wants to make, for a tool approval. */
  tool?: { name: string; arguments: unknown };
  /** The run's inputs. */
  inputs?: Record<string, unknown>;
  /** The data the node received (its inputs). */
  data?: Record<string, unknown>;
  /** Map item or iteration, when the task belongs to one. */
  iteration?: number;
  createdAt: number;
  deadline?: number;
  onTimeout?: string;
  decision?: string;
  decidedBy?: string;
  decidedAt?: number;
  comment?: string;
}

const obj = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
function time(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/** A task as the server sends it, read defensively (a missing field never breaks the page). */
export function normalizeTask(raw: unknown): HumanTask | null {
  const t = obj(raw);
  const taskId = str(t?.taskId) ?? str(t?.id);
  if (!t || !taskId) return null;
  const tool = obj(t.tool) ?? obj(t.toolCall);
  const toolName = str(tool?.name) ?? str(t.toolName);
  const kind: TaskKind =
    t.kind === 'input' ? 'input' : t.kind === 'tool' || t.kind === 'tool_approval' || toolName ? 'tool' : 'approval';
  const runId = str(t.runId) ?? '';
  const run = obj(t.run);
  const context = obj(t.context);
  const deadline = time(t.deadline ?? t.deadlineAt ?? t.expiresAt);
  const decidedAt = time(t.decidedAt);
  const decision = str(t.decision) ?? str(obj(t.decision)?.decision);
  const decidedBy = str(t.decidedBy) ?? str(obj(t.decision)?.decidedBy);
  const iteration = t.item ?? t.iteration ?? obj(t.parent)?.iteration;
  return {
    taskId,
    status: str(t.status) ?? 'pending',
    kind,
    runId,
    rootRunId: str(t.rootRunId) ?? str(run?.rootRunId) ?? runId,
    flowId: str(t.flowId) ?? str(run?.flowId) ?? '',
    ...(str(t.flowName) ? { flowName: str(t.flowName) } : {}),
    nodeId: str(t.nodeId) ?? '',
    message: typeof t.message === 'string' ? t.message : '',
    ...(obj(t.fields) ? { fields: obj(t.fields) as JsonSchema } : {}),
    ...(kind === 'tool'
      ? { tool: { name: toolName ?? '(tool)', arguments: tool?.arguments ?? tool?.args ?? t.arguments ?? {} } }
      : {}),
    ...(obj(t.inputs ?? context?.inputs ?? run?.inputs)
      ? { inputs: obj(t.inputs ?? context?.inputs ?? run?.inputs) }
      : {}),
    ...(obj(t.data ?? context?.data) ? { data: obj(t.data ?? context?.data) } : {}),
    ...(typeof iteration === 'number' ? { iteration } : {}),
    createdAt: time(t.createdAt) ?? 0,
    ...(deadline !== undefined ? { deadline } : {}),
    ...(str(t.onTimeout) ? { onTimeout: str(t.onTimeout) } : {}),
    ...(decision ? { decision } : {}),
    ...(decidedBy ? { decidedBy } : {}),
    ...(decidedAt !== undefined ? { decidedAt } : {}),
    ...(typeof t.comment === 'string' ? { comment: t.comment } : {}),
  };
}

export interface Decision {
  decision: 'approve' | 'reject';
  response?: Record<string, unknown>;
  comment?: string;
  decidedBy?: string;
  /** Edited arguments of a tool approval. */
  arguments?: unknown;
}

const enc = encodeURIComponent;

export const tasksApi = {
  pending: () =>
    getJson<{ tasks?: unknown[] } | unknown[]>('/api/tasks?status=pending').then((r) =>
      (Array.isArray(r) ? r : (r.tasks ?? [])).map(normalizeTask).filter((t): t is HumanTask => t !== null),
    ),
  get: (taskId: string) => getJson<unknown>(`/api/tasks/${enc(taskId)}`).then(normalizeTask),
  decide: (taskId: string, d: Decision) =>
    getJson<unknown>(`/api/tasks/${enc(taskId)}`, { method: 'POST', body: JSON.stringify(d) }),
};
