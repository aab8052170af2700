/**
 * Body of a JSONata child process (server/sandbox/jsonata-pool.ts): evaluates one expression
 * at a time, in arrival order, and answers with plain JSON, a boolean, or an error code. The
 * server owns the hard edges: it kills a process that overruns its time box, and the
 * process's heap is capped (`--max-old-space-size`), so a runaway builtin ends this process,
 * never the server.
 */
import { evaluateInThread, type JsonataResultKind } from '../runtime/jsonata-engine';
import { guardedRegexTest } from '../runtime/regex-guard';
import { NodeError } from '../runtime/types';

export interface JsonataRequest {
  id: number;
  expression: string;
  input: unknown;
  /** Variable bindings; `'input'` binds the input object's own keys (transform does this). */
  bindings?: Record<string, unknown> | 'input';
  as: JsonataResultKind;
}

export type JsonataReply =
  { id: number; ok: true; value: unknown } | { id: number; ok: false; code: string; message: string };

const send = process.send?.bind(process);
if (!send) throw new Error('jsonata-process must run as a child process with an IPC channel');
// the server going away ends this process
process.on('disconnect', () => process.exit(0));

async function answer(req: JsonataRequest): Promise<JsonataReply> {
  const bindings =
    req.bindings === 'input'
      ? req.input && typeof req.input === 'object'
        ? (req.input as Record<string, unknown>)
        : undefined
      : req.bindings;
  try {
    return { id: req.id, ok: true, value: await evaluateInThread(req.expression, req.input, bindings, req.as) };
  } catch (err) {
    const code = err instanceof NodeError ? err.code : 'jsonata_error';
    return { id: req.id, ok: false, code, message: err instanceof Error ? err.message : String(err) };
  }
}

// Requests arrive in batches and answers leave in batches (one IPC message each way for many
// evaluations when a map keeps several in flight); answers are sent when no request is left,
// or every 20 ms, so the server's deadline for the oldest one stays accurate.
let chain: Promise<void> = Promise.resolve();
let outbox: JsonataReply[] = [];
let pending = 0;
let lastFlush = performance.now();
function flush(): void {
  if (outbox.length) send!(outbox);
  outbox = [];
  lastFlush = performance.now();
}
process.on('message', (reqs: JsonataRequest[]) => {
  for (const req of reqs) {
    pending++;
    chain = chain.then(async () => {
      outbox.push(await answer(req));
      pending--;
      if (pending === 0 || performance.now() - lastFlush > 20) flush();
    });
  }
});
// Ready only once warm: the regex worker started and answered once (a match costly enough
// to go out of line), and the evaluator's paths compiled, so a first expression does not
// spend its time box on start-up work.
try {
  guardedRegexTest('(?:[\\s\\S]{100})z', '', 'y'.repeat(25_000) + 'z');
} catch {
  // a slow machine: the worker is started all the same
}
void evaluateInThread('$count($match("a1b2", /\\d/)) + $length($pad("x", 3))', null, undefined, 'json').finally(() =>
  send({ ready: true }),
);
