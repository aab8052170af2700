import type { CodeToolConfig } from '../../../shared/nodes/tool';
import { SandboxError } from '../../sandbox/quickjs';
import { runSandboxed } from '../../sandbox/pool';
import { NodeError, type Executor } from '../types';

/**
 * The code tool: JavaScript in a fresh QuickJS sandbox, declared inputs as globals, the
 * value of the last expression (or `return`) as `result`. It runs in a sandbox worker
 * thread, so the event loop stays free; time and memory limits come from the config, and
 * the node's signal (cancel, node timeout) terminates the worker.
 */
export const codeToolExecutor: Executor<CodeToolConfig> = async (ctx) => {
  const { code, inputs: declared, timeoutMs, memoryMb } = ctx.config;
  const globals: Record<string, unknown> = {};
  for (const d of declared) {
    const v = ctx.inputs[d.name];
    globals[d.name] = v === undefined ? null : v;
  }
  const started = performance.now();
  try {
    const result = await runSandboxed(code, globals, { timeoutMs, memoryMb, signal: ctx.signal });
    ctx.setMeta({ sandboxMs: Math.round((performance.now() - started) * 1000) / 1000 });
    return { outputs: { result } };
  } catch (err) {
    if (err instanceof SandboxError) throw new NodeError(err.code, err.message, { path: 'config.code' });
    throw new NodeError('sandbox_error', `sandbox failure: ${(err as Error).message ?? String(err)}`, {
      path: 'config.code',
      cause: err,
    });
  }
};
