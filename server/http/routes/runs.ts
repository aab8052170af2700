/** Runs: start (JSON or SSE), single-node debug runs, history, one run, cancel. */
import type { Request, Response } from 'express';
import type { RunEvent } from '../../../shared';
import type { AsyncRunAccepted } from '../../../shared/api/tasks';
import {
  nodeRunRequestSchema,
  runRequestSchema,
  type CancelRunResponse,
  type ChildRunPage,
  type RunDetailResponse,
  type RunPage,
  type RunResponse,
  type RunResultEvent,
} from '../../../shared/api/runs';
import type { RunResult } from '../../runtime/types';
import type { AppContext, RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError, sendError, toHttpError } from '../errors';
import { LIMIT, OFFSET, queryInt } from '../query';
import { openSse, type SseStream } from '../sse';
import { parseBody } from '../validate';
import { isSafeFlowId } from '../../flows/store';
import { redact } from '../../flows/redact';
import { canPause } from '../../durable/journal';

function param(req: Request, name: string, what: string): string {
  const v = String(req.params[name] ?? '');
  if (!isSafeFlowId(v)) throw new HttpError(400, 'invalid_id', `invalid ${what} "${v}"`);
  return v;
}

function wantsSse(req: Request): boolean {
  return (req.get('accept') ?? '').toLowerCase().includes('text/event-stream');
}

/** Abort when the client goes away before the response is complete. */
function disconnectSignal(res: Response): AbortSignal {
  const c = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) c.abort(new Error('client disconnected'));
  });
  return c.signal;
}

async function respond(
  ctx: AppContext,
  req: Request,
  res: Response,
  start: (signal: AbortSignal, onEvent?: (e: RunEvent) => void) => Promise<RunResult>,
): Promise<void> {
  const signal = disconnectSignal(res);
  if (!wantsSse(req)) {
    const result = await start(signal);
    if (!res.writable) return;
    res.json({
      runId: result.runId,
      status: result.status,
      outputs: result.outputs,
      trace: result.trace,
    } satisfies RunResponse);
    return;
  }
  // The stream opens with the first event: errors before the run starts (unknown flow,
  // invalid flow, bad inputs) are still plain JSON errors with their status.
  let sse: SseStream | undefined;
  const stream = () => (sse ??= openSse(req, res));
  try {
    const result = await start(signal, (e) => stream().send(e.type, e));
    stream().send('result', {
      runId: result.runId,
      status: result.status,
      outputs: result.outputs,
    } satisfies RunResultEvent);
  } catch (err) {
    if (!sse) throw err;
    const http = toHttpError(err);
    if (!http) ctx.logger.error({ err: redact(String((err as Error)?.message), ctx.secrets) }, 'run stream failed');
    sse.send('error', {
      error: {
        code: http?.code ?? 'internal',
        message: redact(http?.message ?? 'internal server error', ctx.secrets),
        ...(http?.details !== undefined ? { details: http.details } : {}),
      },
    });
  } finally {
    sse?.end();
  }
}

export const runsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const svc = ctx.runService;

  r.post('/api/flows/:id/runs', async (req, res) => {
    const id = param(req, 'id', 'flow id');
    const { inputs = {}, mode = 'sync' } = parseBody(runRequestSchema, req.body);
    const flow = await svc.loadRunnable(id);
    if (mode === 'async') {
      // Durable from the start: it survives restarts and may wait on people for days.
      const { runId } = await ctx.durable.startRun(flow, { source: 'api', inputs, wait: false });
      res.status(202).json({ runId, status: 'running' } satisfies AsyncRunAccepted);
      return;
    }
    if (canPause(flow)) {
      // It may pause for a person: durable, answered when it finishes or starts waiting.
      await respond(ctx, req, res, async (signal, onEvent) => {
        const { result } = await ctx.durable.startRun(flow, {
          source: 'api',
          inputs,
          wait: true,
          signal,
          ...(onEvent ? { onEvent } : {}),
        });
        return result!;
      });
      return;
    }
    await respond(ctx, req, res, (signal, onEvent) =>
      svc.run(flow, inputs, { signal, ...(onEvent ? { onEvent } : {}), source: 'api' }),
    );
  });

  r.post('/api/flows/:id/nodes/:nodeId/run', async (req, res) => {
    const id = param(req, 'id', 'flow id');
    const nodeId = param(req, 'nodeId', 'node id');
    const { inputs = {} } = parseBody(nodeRunRequestSchema, req.body);
    await respond(ctx, req, res, (signal, onEvent) =>
      svc.runStored(id, {}, { signal, ...(onEvent ? { onEvent } : {}), only: { nodeId, inputs } }),
    );
  });

  r.get('/api/flows/:id/runs', async (req, res) => {
    const id = param(req, 'id', 'flow id');
    const limit = queryInt(req, 'limit', undefined, LIMIT(200));
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    await svc.settled();
    const page = await ctx.runsRepo.listByFlow(id, {
      ...(limit !== undefined ? { limit } : {}),
      ...(before ? { before } : {}),
    });
    res.json(page satisfies RunPage);
  });

  r.get('/api/runs/:id', async (req, res) => {
    const runId = String(req.params.id ?? '');
    await Promise.all([svc.settled(runId), ctx.childRuns.settled(runId)]);
    const found = runId.length <= 128 ? await ctx.runsRepo.getWithTraceJson(runId) : undefined;
    if (!found) throw new HttpError(404, 'not_found', `no run with id "${runId.slice(0, 128)}"`);
    const { run, traceJson } = found;
    const durable = await ctx.durable.store.getRun(runId);
    if (!durable) {
      sendWithTrace(res, { ...run, running: svc.isRunning(runId) } satisfies RunDetailBody, traceJson);
      return;
    }
    // A durable run: its state and the tasks it waits on.
    const tasks = await ctx.durable.store.tasksOfRun(runId, 'pending');
    sendWithTrace(
      res,
      {
        ...run,
        ...(durable.status === 'waiting' || durable.status === 'running' ? { status: durable.status } : {}),
        running: svc.isRunning(runId) || durable.status === 'running',
        durable: { status: durable.status, attempts: durable.attempts, updatedAt: durable.updatedAt },
        tasks,
      },
      traceJson,
    );
  });

  r.get('/api/runs/:id/children', async (req, res) => {
    const runId = String(req.params.id ?? '');
    const limit = queryInt(req, 'limit', 100, LIMIT(500));
    const offset = queryInt(req, 'offset', 0, OFFSET);
    const nodeId = typeof req.query.nodeId === 'string' && req.query.nodeId !== '' ? req.query.nodeId : undefined;
    await Promise.all([svc.settled(runId), ctx.childRuns.settled(runId)]);
    const notFound = () => new HttpError(404, 'not_found', `no run with id "${runId.slice(0, 128)}"`);
    if (runId.length > 128) throw notFound();
    const page = await ctx.runsRepo.listChildren(runId, { offset, limit, ...(nodeId !== undefined ? { nodeId } : {}) });
    // An endpoint call or an evaluation row has no run record of its own (its trace is in the
    // request log or the row): its id names its child runs all the same. Without children,
    // whether a run of that id exists tells "no children" from "no such run".
    if (page.total === 0 && !(await ctx.runsRepo.exists(runId))) throw notFound();
    res.json(page satisfies ChildRunPage);
  });

  r.post('/api/runs/:id/cancel', async (req, res) => {
    const runId = String(req.params.id ?? '');
    if (svc.cancel(runId)) {
      res.status(202).json({ runId, cancelled: true } satisfies CancelRunResponse);
      return;
    }
    if (runId.length <= 128 && (await ctx.durable.cancelWaiting(runId))) {
      res.status(202).json({ runId, cancelled: true } satisfies CancelRunResponse);
      return;
    }
    await svc.settled(runId);
    const run = runId.length <= 128 ? await ctx.runsRepo.get(runId) : undefined;
    if (!run) {
      sendError(res, 404, 'not_found', `no run with id "${runId.slice(0, 128)}"`);
      return;
    }
    sendError(res, 409, 'not_running', `run "${runId}" is not running in this process (status ${run.status})`);
  });

  return r;
};

/** A run's detail without its trace. */
type RunDetailBody = Omit<RunDetailResponse, 'trace'>;

/**
 * Send a run record with its stored trace JSON spliced in as it is (the same body `res.json`
 * would send with the parsed trace, without parsing and re-serialising megabytes).
 */
function sendWithTrace(res: Response, body: RunDetailBody, traceJson: string | undefined): void {
  const head = JSON.stringify(body);
  res.type('application/json').send(traceJson === undefined ? head : `${head.slice(0, -1)},"trace":${traceJson}}`);
}
