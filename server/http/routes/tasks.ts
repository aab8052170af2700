/** Tasks for people (human nodes, agent tool approvals): list, read, decide. */
import type { Request } from 'express';
import {
  TASK_STATUSES,
  taskDecisionBody,
  type HumanTask,
  type TaskDecisionResult,
  type TaskList,
  type TaskStatus,
} from '../../../shared/api/tasks';
import { isSafeFlowId } from '../../flows/store';
import type { RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError } from '../errors';
import { LIMIT, queryInt } from '../query';
import { parseBody } from '../validate';

function taskId(req: Request): string {
  const id = String(req.params.taskId ?? '');
  if (id.length === 0 || id.length > 128) throw new HttpError(404, 'not_found', 'no such task');
  return id;
}

function queryText(req: Request, name: string): string | undefined {
  const v = req.query[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

export const tasksRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const durable = ctx.durable;

  r.get('/api/tasks', async (req, res) => {
    const status = queryText(req, 'status');
    if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus))
      throw new HttpError(400, 'invalid_query', `status: must be one of ${TASK_STATUSES.join(', ')}`, {
        issues: [{ path: 'status', message: `must be one of ${TASK_STATUSES.join(', ')}` }],
      });
    const flowId = queryText(req, 'flowId');
    if (flowId !== undefined && !isSafeFlowId(flowId))
      throw new HttpError(400, 'invalid_query', `flowId: invalid flow id "${flowId.slice(0, 128)}"`);
    const runId = queryText(req, 'runId');
    const before = queryText(req, 'before');
    const limit = queryInt(req, 'limit', 100, LIMIT(500));
    const page = await durable.store.listTasks({
      limit,
      ...(status ? { status: status as TaskStatus } : {}),
      ...(flowId ? { flowId } : {}),
      ...(runId ? { runId: runId.slice(0, 128) } : {}),
      ...(before ? { before } : {}),
    });
    res.json(page satisfies TaskList);
  });

  r.get('/api/tasks/:taskId', async (req, res) => {
    const id = taskId(req);
    const task = await durable.store.getTask(id);
    if (!task) throw new HttpError(404, 'not_found', `no task with id "${id}"`);
    res.json(task satisfies HumanTask);
  });

  r.post('/api/tasks/:taskId', async (req, res) => {
    const id = taskId(req);
    const { task, runStatus } = await durable.decide(id, parseBody(taskDecisionBody, req.body));
    res.json({ task, runId: task.runId, runStatus } satisfies TaskDecisionResult);
  });

  return r;
};
