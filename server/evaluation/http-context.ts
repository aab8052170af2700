/** One EvaluationService per app, shared by the datasets and evaluations routers. */
import type { Flow } from '../../shared';
import type { AppContext } from '../http/context';
import { redact } from '../flows/redact';
import { runFlow } from '../runtime/index';
import { loadFlowRef } from './flow-ref';
import { RowQueue } from './queue';
import { EvaluationService } from './service';

const services = new WeakMap<AppContext, EvaluationService>();

export function evaluationServiceFor(ctx: AppContext): EvaluationService {
  let svc = services.get(ctx);
  if (svc) return svc;
  const loadFlow = async (ref: string): Promise<Flow> => {
    if (/^[a-z0-9][a-z0-9_-]*$/.test(ref)) {
      const stored = await ctx.flows.get(ref);
      if (!stored) throw Object.assign(new Error(`flow "${ref}" not found`), { code: 'not_found' });
      if (!stored.valid || !stored.flow)
        throw Object.assign(new Error(`flow "${ref}" is invalid; fix it before evaluating`), {
          code: 'invalid_flow',
          problems: stored.problems,
        });
      return stored.flow;
    }
    return loadFlowRef(ref, ctx.config.flowsDir);
  };
  svc = new EvaluationService({
    storage: ctx.storage,
    config: ctx.config,
    runServices: ctx.services,
    // Rows, traces and exports are stored and served: scrub configured secrets as runs do.
    runFlow: async (flow, inputs, opts) => redact(await runFlow(flow, inputs, opts), ctx.secrets),
    loadFlow,
    // Scale-out: with REDIS_URL, rows are jobs for `braid worker` processes (docs/evaluation.md, "Scale-out").
    rowQueue: rowQueueFor(ctx),
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

function rowQueueFor(ctx: AppContext): Promise<RowQueue> | undefined {
  if (!ctx.config.redisUrl) return undefined;
  const q = RowQueue.open(ctx.config, ctx.storage);
  q.catch((err: unknown) => ctx.logger.error({ err: (err as Error).message }, 'evaluation queue unavailable'));
  // Registered before the service's close; cleanups run in reverse, so the service stops first.
  ctx.onClose(async () => {
    const queue = await q.catch(() => undefined);
    await queue?.close();
  });
  return q;
}
