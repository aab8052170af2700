/** One EvaluationService per app, shared by the datasets and evaluations routers. */
import type { AppContext } from '../http/context';
import { redact } from '../flows/redact';
import { runFlow } from '../runtime/index';
import { EVALUATION_LABELS, teeEvents, withTelemetry } from '../telemetry/index';
import { flowLoader } from './flow-ref';
import { RowQueue } from './queue';
import type { RowDeps } from './row';
import { EvaluationService } from './service';
import { RowWorker } from './worker';

const services = new WeakMap<AppContext, EvaluationService>();

export function evaluationServiceFor(ctx: AppContext): EvaluationService {
  let svc = services.get(ctx);
  if (svc) return svc;
  // Over HTTP a flow is an id in the flows folder, whatever string the caller sends.
  const loadFlow = flowLoader(ctx.flows);
  const deps: RowDeps = {
    config: ctx.config,
    runServices: ctx.services,
    // Rows, traces and exports are stored and served: scrub configured secrets as runs do.
    // Child runs (subflow, map, loop, agent tools) are stored as run records under the row's run id.
    runFlow: async (flow, inputs, opts) => {
      const withChildren = { ...opts, onEvent: teeEvents(opts.onEvent, ctx.childRuns.listener(flow, 'evaluation')) };
      return redact(
        await runFlow(flow, inputs, withTelemetry(withChildren, ctx.telemetry, EVALUATION_LABELS)),
        ctx.secrets,
      );
    },
    loadFlow,
  };
  svc = new EvaluationService({
    ...deps,
    storage: ctx.storage,
    // Scale-out: with REDIS_URL, rows are BullMQ jobs run by workers — this process's embedded
    // one (BRAID_EVAL_INPROCESS_WORKER, default on) and any `braid worker` (docs/evaluation.md, "Scale-out").
    rowQueue: rowQueueFor(ctx, deps),
  });
  services.set(ctx, svc);
  const s = svc;
  // Take over evaluations a previous process left running (after a crash or SIGKILL).
  void s
    .resumeOrphans()
    .catch((err: unknown) => ctx.logger.error({ err: (err as Error).message }, 'evaluation resume failed'));
  ctx.onClose(() => s.close());
  return svc;
}

function rowQueueFor(ctx: AppContext, deps: RowDeps): Promise<RowQueue> | undefined {
  if (!ctx.config.redisUrl) return undefined;
  const q = RowQueue.open(ctx.config, ctx.storage);
  q.catch((err: unknown) => ctx.logger.error({ err: (err as Error).message }, 'evaluation queue unavailable'));
  // Registered before the service's close; cleanups run in reverse, so the service stops first,
  // then the embedded worker, then the queue.
  ctx.onClose(async () => {
    const queue = await q.catch(() => undefined);
    await queue?.close();
  });
  if (ctx.config.evalInProcessWorker !== false) embeddedWorker(ctx, deps, q);
  return q;
}

/** How long a closing API process lets its embedded worker's rows in flight finish before aborting them. */
export const EMBEDDED_WORKER_GRACE_MS = 5000;

/**
 * The API process consumes row jobs too (the same RowWorker as `braid worker`), so REDIS_URL
 * alone never leaves evaluations waiting for workers nobody started.
 */
function embeddedWorker(ctx: AppContext, deps: RowDeps, q: Promise<RowQueue>): void {
  const concurrency = ctx.config.evalInProcessConcurrency ?? 8;
  const worker = q.then((queue) => new RowWorker({ ...deps, storage: ctx.storage, queue, concurrency }));
  worker.then(
    (w) =>
      // Not awaited: with Redis down, start() waits for it to come back (rows then run).
      w.start().then(
        () =>
          ctx.logger.info(
            { worker: w.name, queue: w.worker.opts.prefix, concurrency },
            'evaluation worker running in process',
          ),
        (err: unknown) => ctx.logger.error({ err: (err as Error).message }, 'evaluation worker failed to start'),
      ),
    () => undefined,
  );
  ctx.onClose(async () => {
    const w = await worker.catch(() => undefined);
    await w?.closeWithin(EMBEDDED_WORKER_GRACE_MS);
  });
}
