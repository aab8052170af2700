/** Client for /api/tasks (human tasks: approvals, input forms, agent tool approvals). */
import type { HumanTask, TaskDecisionBody, TaskDecisionResult, TaskList } from '../../shared/api/tasks';
import { getJson } from '../api/http';

export type { HumanTask } from '../../shared/api/tasks';

const enc = encodeURIComponent;

/** The oldest-first order of the Inbox (the task waiting longest comes first). */
export function sortTasks(tasks: HumanTask[]): HumanTask[] {
  return [...tasks].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
}

/** Pages of pending tasks, followed to the end (bounded: the Inbox shows at most `max`). */
async function allPending(max = 2000): Promise<HumanTask[]> {
  const out: HumanTask[] = [];
  let before: string | undefined;
  do {
    const page = await getJson<TaskList>(
      `/api/tasks?status=pending&limit=500${before ? `&before=${enc(before)}` : ''}`,
    );
    out.push(...page.tasks);
    before = page.nextCursor;
  } while (before && out.length < max);
  return out;
}

export const tasksApi = {
  pending: () => allPending().then(sortTasks),
  get: (taskId: string) => getJson<HumanTask>(`/api/tasks/${enc(taskId)}`),
  decide: (taskId: string, body: TaskDecisionBody) =>
    getJson<TaskDecisionResult>(`/api/tasks/${enc(taskId)}`, { method: 'POST', body: JSON.stringify(body) }),
};
