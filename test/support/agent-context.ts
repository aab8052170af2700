/**
 * A NodeContext for calling the agent executor directly: executorContext plus the run-tree
 * services an agent uses — a flow resolver over given flows and `runChild` that runs them
 * for real with runFlow (recording every child call), or a replacement `runChild`.
 */
import type { Flow } from '../../shared';
import { runFlow } from '../../server/runtime/index';
import type { NodeContext, RunResult, RunServices } from '../../server/runtime/types';
import { executorContext, type RecordedContext } from './executor-context';
import type { Config } from '../../server/config';

export interface ChildCall {
  flowId: string;
  inputs: Record<string, unknown>;
  iteration?: number;
}

export interface AgentTestContext<C> extends RecordedContext<C> {
  childCalls: ChildCall[];
}

export function agentContext<C>(
  config: C,
  inputs: Record<string, unknown>,
  opts: {
    env: Record<string, string>;
    /** A config built once (benchmarks); otherwise loaded from `env`. */
    config?: Config;
    flows?: Flow[];
    signal?: AbortSignal;
    mcp?: RunServices['mcp'];
    retry?: { max: number; baseMs: number };
    runChild?: NonNullable<NodeContext['runChild']>;
  },
): AgentTestContext<C> {
  const ctx = executorContext('agent', config, inputs, {
    env: opts.env,
    ...(opts.config ? { config: opts.config } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  }) as AgentTestContext<C>;
  if (opts.retry) ctx.node.retry = opts.retry;
  const byId = new Map((opts.flows ?? []).map((f) => [f.id, f]));
  ctx.services = {
    ...ctx.services,
    flows: { get: async (id) => byId.get(id) },
    ...(opts.mcp ? { mcp: opts.mcp } : {}),
  };
  ctx.childCalls = [];
  const services = ctx.services;
  ctx.runChild = async (flowId, childInputs, o): Promise<RunResult> => {
    ctx.childCalls.push({
      flowId,
      inputs: childInputs,
      ...(o?.iteration !== undefined ? { iteration: o.iteration } : {}),
    });
    if (opts.runChild) return opts.runChild(flowId, childInputs, o);
    const flow = byId.get(flowId);
    if (!flow) throw new Error(`no flow ${flowId}`);
    return runFlow(flow, childInputs, { services, ...(o?.signal ? { signal: o.signal } : {}) });
  };
  return ctx;
}

/** A flow `input → transform(template) → output` usable as an agent tool. */
export function templateFlow(id: string, input: string, template: string, description?: string): Flow {
  return {
    schemaVersion: 1,
    id,
    name: `Tool ${id}`,
    inputs: [{ name: input, type: 'string', required: true, ...(description ? { description } : {}) }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      { id: 't', type: 'transform', position: { x: 200, y: 0 }, config: { mode: 'template', template } },
      { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [
      { source: 'inputs', sourcePort: input, target: 't', targetPort: input },
      { source: 't', sourcePort: 'result', target: 'outputs', targetPort: 'answer' },
    ],
  };
}

/** A flow whose code tool always throws `message`. */
export function failingFlow(id: string, message: string): Flow {
  return {
    schemaVersion: 1,
    id,
    name: `Failing ${id}`,
    inputs: [{ name: 'sku', type: 'string', required: true }],
    outputs: [{ name: 'stock', type: 'json' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      {
        id: 'db',
        type: 'tool',
        position: { x: 200, y: 0 },
        config: {
          kind: 'code',
          code: `throw new Error(${JSON.stringify(message)});`,
          inputs: [{ name: 'sku', type: 'string', required: true }],
        },
      },
      { id: 'outputs', type: 'output', position: { x: 400, y: 0 } },
    ],
    edges: [
      { source: 'inputs', sourcePort: 'sku', target: 'db', targetPort: 'sku' },
      { source: 'db', sourcePort: 'result', target: 'outputs', targetPort: 'stock' },
    ],
  };
}
