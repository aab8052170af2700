/**
 * Body of a sandbox worker thread: runs one script at a time in QuickJS and answers with
 * the result or a SandboxError code. The main thread owns the time limit's hard edge (it
 * terminates a worker that does not answer in time).
 */
import { capText } from '../../shared/limits';
import { parentPort } from 'node:worker_threads';
import { runInSandbox, SandboxError, type SandboxErrorCode } from './quickjs';

export interface SandboxRequest {
  id: number;
  code: string;
  globals: Record<string, unknown>;
  timeoutMs: number;
  memoryMb: number;
}

export type SandboxReply =
  { id: number; ok: true; result: unknown } | { id: number; ok: false; code: SandboxErrorCode; message: string };

const port = parentPort;
if (!port) throw new Error('quickjs-worker must run in a worker thread');

port.on('message', (req: SandboxRequest) => {
  void runInSandbox(req.code, req.globals, { timeoutMs: req.timeoutMs, memoryMb: req.memoryMb }).then(
    (result) => port.postMessage({ id: req.id, ok: true, result } satisfies SandboxReply),
    (err: unknown) => {
      const code: SandboxErrorCode = err instanceof SandboxError ? err.code : 'sandbox_error';
      const message = capText(err instanceof Error ? err.message : String(err));
      port.postMessage({ id: req.id, ok: false, code, message } satisfies SandboxReply);
    },
  );
});
port.postMessage({ ready: true });
