/**
 * The agent node (shared/nodes/agent.ts): the loop lives in server/agent/. This executor
 * makes sure the scheduler never retries it whole — a retry would repeat tool calls, which
 * may have side effects — by turning every error into a non-retryable one (model calls are
 * retried inside the loop).
 */
import { NodeSuspend } from '../durable';
import type { AgentConfig } from '../../../shared/nodes/agent';
import { runAgent, type AgentOptions } from '../../agent/loop';
import { NodeError, type Executor } from '../types';

export function createAgentExecutor(opts: AgentOptions = {}): Executor<AgentConfig> {
  return async function agentExecutor(ctx) {
    try {
      return await runAgent(ctx, opts);
    } catch (err) {
      if (ctx.signal.aborted || err instanceof NodeSuspend) throw err;
      if (err instanceof NodeError) {
        if (!err.retryable) throw err;
        throw new NodeError(err.code, err.message, { ...(err.path ? { path: err.path } : {}), cause: err });
      }
      throw new NodeError('agent_error', (err as Error)?.message ?? String(err), { cause: err });
    }
  };
}

export const agentExecutor: Executor<AgentConfig> = createAgentExecutor();
