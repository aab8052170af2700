import { setMaxListeners } from 'node:events';
import type { NodeConfig } from '../../../shared';
import { NodeError, type Executor, type RunResult } from '../types';
import { calledFlow, childError, childFailure, childRunner, definedInputs, waitOnChild } from './child';

/** How many child run ids the map's span keeps (the rest are paged from storage). */
export const MAP_SPAN_RUN_IDS = 100;
/** Minimum time between two `node_progress` events of one map node (the last one always goes). */
const PROGRESS_EVERY_MS = 50;

type ItemError = { index: number; error: { code: string; message: string; nodeId?: string; runId?: string } };

/**
 * Run the called flow once per item, `concurrency` at a time; results in item order.
 * Only each item's outputs are kept (never its trace: child traces are persisted by the
 * caller from the events as each child finishes), so memory grows with the outputs only.
 */
export const mapExecutor: Executor<NodeConfig<'map'>> = async (ctx) => {
  const { flow: flowId, concurrency, onItemError } = ctx.config;
  const runChild = childRunner(ctx);
  const flow = await calledFlow(ctx, flowId);
  const items = ctx.inputs.items;
  if (!Array.isArray(items))
    throw new NodeError('invalid_input', `"items" must be a list, got ${items === null ? 'null' : typeof items}`, {
      path: 'inputs.items',
    });
  const itemInput = ctx.config.itemInput ?? flow.inputs[0]?.name;
  if (itemInput === undefined)
    throw new NodeError('invalid_config', `flow "${flowId}" declares no inputs to receive the items`, {
      path: 'config.flow',
    });
  const shared = definedInputs(ctx.inputs, 'items');
  const total = items.length;
  const results: Array<Record<string, unknown> | undefined> = new Array(total);
  const errors: ItemError[] = [];
  const runIds: string[] = [];
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one listener per item in flight
  let next = 0;
  let done = 0;
  let failed = 0;
  /** Items whose child run paused for a person (durable runs): the node waits once the others are done. */
  let waiting = 0;
  let firstFailure: NodeError | undefined;
  let lastProgress = 0;

  const progress = (): void => {
    const now = Date.now();
    if (done + failed + waiting < total && now - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = now;
    ctx.emitProgress({ done, failed, total, ...(waiting ? { waiting } : {}) });
  };
  const settle = (index: number, res: RunResult | undefined, thrown?: unknown): void => {
    if (res && runIds.length < MAP_SPAN_RUN_IDS) runIds.push(res.runId);
    if (res?.status === 'succeeded') {
      results[index] = res.outputs;
      done++;
    } else if (res?.status === 'waiting') {
      waiting++;
    } else if (!stop.signal.aborted || firstFailure === undefined) {
      failed++;
      const error = res
        ? { ...childError(res), runId: res.runId }
        : { code: (thrown as NodeError).code ?? 'child_failed', message: (thrown as Error).message };
      errors.push({ index, error });
      if (onItemError === 'fail' && firstFailure === undefined) {
        firstFailure = res
          ? childFailure(res, flowId, `item ${index} of flow`)
          : new NodeError('child_failed', `item ${index}: ${error.message}`, { path: 'inputs.items' });
        stop.abort(firstFailure);
      }
    }
    progress();
  };
  const worker = async (): Promise<void> => {
    while (next < total && !stop.signal.aborted) {
      const index = next++;
      const inputs = { ...shared, [itemInput]: items[index] };
      try {
        settle(index, await runChild(flowId, inputs, { iteration: index, signal: stop.signal }));
      } catch (err) {
        if (err instanceof NodeError && !ctx.signal.aborted) settle(index, undefined, err);
        else throw err;
      }
    }
  };
  ctx.emitProgress({ done: 0, failed: 0, total });
  const workers = Array.from({ length: Math.min(concurrency, total) }, () => worker());
  await Promise.all(workers);
  errors.sort((a, b) => a.index - b.index);
  ctx.setMeta({ items: total, succeeded: done, failed, childRunIds: runIds, ...(waiting ? { waiting } : {}) });
  if (firstFailure) throw firstFailure;
  if (waiting > 0) waitOnChild(`${waiting} of ${total} item(s) of flow "${flowId}"`);

  const outputs: Record<string, unknown> = { errors };
  for (const o of flow.outputs) {
    const list: unknown[] = [];
    for (let i = 0; i < total; i++) {
      const r = results[i];
      if (r) list.push(r[o.name] ?? null);
      else if (onItemError === 'null') list.push(null);
    }
    outputs[o.name] = list;
  }
  return { outputs };
};
