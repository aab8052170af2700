/**
 * Run untrusted JavaScript in QuickJS (compiled to WebAssembly): no process, require,
 * network, timers or files exist in there — only the ECMAScript built-ins and the
 * globals we pass in as JSON. Each call gets a fresh runtime and context with a memory
 * limit, a stack limit and an interrupt handler that enforces the time limit.
 *
 * The interpreter runs synchronously on the calling thread, so a script blocks the event
 * loop for at most its time limit.
 */
import {
  RELEASE_SYNC,
  newQuickJSWASMModuleFromVariant,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSWASMModule,
} from 'quickjs-emscripten';
import { capText } from '../../shared/limits';

export type SandboxErrorCode = 'sandbox_error' | 'sandbox_timeout' | 'sandbox_memory';

export class SandboxError extends Error {
  readonly code: SandboxErrorCode;
  constructor(code: SandboxErrorCode, message: string) {
    super(capText(message));
    this.name = 'SandboxError';
    this.code = code;
  }
}

export interface SandboxOptions {
  /** Wall-clock limit of the script, in ms. */
  timeoutMs: number;
  /** Heap limit of the script's runtime, in MiB. */
  memoryMb: number;
  /** Interpreter stack limit, in bytes (default 256 KiB, well inside Node's native stack). */
  stackBytes?: number;
  /** Stops the script at its next interrupt check when aborted. */
  signal?: AbortSignal;
}

/**
 * QuickJS's own malloc limit is not enough on its own: in this build it checks each single
 * allocation but counts only a few bytes per block, so many mid-sized buffers or strings slip
 * past it. The hard cap is the WebAssembly memory itself: each module instance gets a
 * `WebAssembly.Memory` whose maximum is the limit plus a small headroom, so malloc fails
 * (a clean "out of memory" inside the script) before the heap can grow further. Instances
 * are cached per memory limit; scripts run one at a time, each in a fresh runtime.
 */
const PAGE = 64 * 1024;
/** The module's declared minimum memory (quickjs-emscripten 0.32.0 release-sync): 16 MiB. */
const BASE_PAGES = 256;
/** Room for the interpreter's own data beyond the script's limit. */
const HEADROOM_PAGES = 64;
const MAX_CACHED_MODULES = 4;
/** Modules for limits above this are dropped after each run to give their memory back. */
const MAX_RETAINED_LIMIT_MB = 64;
const modules = new Map<number, Promise<QuickJSWASMModule>>();

function getModule(memoryMb: number): Promise<QuickJSWASMModule> {
  let mod = modules.get(memoryMb);
  if (mod) {
    modules.delete(memoryMb); // re-insert: most recently used last
    modules.set(memoryMb, mod);
    return mod;
  }
  const wasmMemory = new WebAssembly.Memory({ initial: BASE_PAGES, maximum: heapMaxBytes(memoryMb) / PAGE });
  mod = newQuickJSWASMModuleFromVariant(newVariant(RELEASE_SYNC, { wasmMemory }));
  mod.catch(() => modules.delete(memoryMb));
  modules.set(memoryMb, mod);
  if (modules.size > MAX_CACHED_MODULES) modules.delete(modules.keys().next().value!);
  return mod;
}

function heapMaxBytes(memoryMb: number): number {
  return (Math.max(BASE_PAGES, Math.ceil((memoryMb * 1024 * 1024) / PAGE)) + HEADROOM_PAGES) * PAGE;
}

interface RunState {
  interrupted: () => Interrupt | undefined;
  heapFull: () => boolean;
}

/** Drop a module so the next run with this limit starts from a clean one. */
function discardModule(memoryMb: number): void {
  modules.delete(memoryMb);
}

const RETURN_OUTSIDE_FUNCTION = /return/i;
/** The largest result (as JSON text) a script may return. */
const MAX_RESULT_CHARS = 16 * 1024 * 1024;
type Interrupt = 'timeout' | 'cancelled';

/**
 * Run `code` with `globals` (JSON values) defined as global variables. The code's result is
 * the value of its last expression, or what it `return`s (the code is then run as a function
 * body). Promises are settled when they can be without I/O. The result must be JSON.
 */
export async function runInSandbox(
  code: string,
  globals: Record<string, unknown>,
  opts: SandboxOptions,
): Promise<unknown> {
  if (opts.signal?.aborted) throw new SandboxError('sandbox_timeout', 'the script was cancelled before it started');
  const inputJson = JSON.stringify(globals, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const memoryMb = Math.max(1, opts.memoryMb);
  const mod = await getModule(memoryMb);
  const runtime = mod.newRuntime();
  let poisoned = false;
  let interrupted: Interrupt | undefined;
  const limitBytes = memoryMb * 1024 * 1024;
  try {
    runtime.setMemoryLimit(limitBytes);
    runtime.setMaxStackSize(opts.stackBytes ?? 256 * 1024);
    const deadline = Date.now() + opts.timeoutMs;
    runtime.setInterruptHandler(() => {
      if (opts.signal?.aborted) interrupted = 'cancelled';
      else if (Date.now() > deadline) interrupted = 'timeout';
      return interrupted !== undefined;
    });
    const vm = runtime.newContext();
    try {
      const memory = mod.getWasmMemory();
      const state: RunState = {
        interrupted: () => interrupted,
        // The heap cannot grow any more: a failure now is an out-of-memory, whatever it says.
        heapFull: () => memory.buffer.byteLength + 2 * 1024 * 1024 >= heapMaxBytes(memoryMb),
      };
      return runIn(vm, runtime, code, inputJson, opts, state);
    } catch (err) {
      if (err instanceof SandboxError) {
        if (err.code === 'sandbox_memory') poisoned = true;
        throw err;
      }
      // A fault of the host side (e.g. the native stack ran out inside WebAssembly): the
      // module's state is unknown, so it is not reused.
      poisoned = true;
      throw new SandboxError('sandbox_error', `the sandbox failed: ${(err as Error)?.message ?? String(err)}`);
    } finally {
      try {
        vm.dispose();
      } catch {
        poisoned = true;
      }
    }
  } finally {
    try {
      runtime.dispose();
    } catch {
      poisoned = true;
    }
    // After an out-of-memory or a failed cleanup, never reuse the module; do not keep a
    // large heap (WebAssembly memory never shrinks) around between runs either.
    if (poisoned || memoryMb > MAX_RETAINED_LIMIT_MB) discardModule(memoryMb);
  }
}

function runIn(
  vm: QuickJSContext,
  runtime: ReturnType<QuickJSWASMModule['newRuntime']>,
  code: string,
  inputJson: string,
  opts: SandboxOptions,
  state: RunState,
): unknown {
  // Take JSON.parse / JSON.stringify before user globals could shadow `JSON`.
  const json = vm.getProp(vm.global, 'JSON');
  const parse = vm.getProp(json, 'parse');
  const stringify = vm.getProp(json, 'stringify');
  json.dispose();
  try {
    const text = vm.newString(inputJson);
    const parsed = vm.callFunction(parse, vm.undefined, text);
    text.dispose();
    const inputs = unwrap(vm, parsed, state, opts);
    for (const name of Object.keys(JSON.parse(inputJson) as Record<string, unknown>)) {
      const value = vm.getProp(inputs, name);
      vm.setProp(vm.global, name, value);
      value.dispose();
    }
    inputs.dispose();

    let result = vm.evalCode(code, 'tool.js', { type: 'global' });
    if (result.error) {
      const err = vm.dump(result.error) as { name?: string; message?: string } | undefined;
      if (err?.name === 'SyntaxError' && RETURN_OUTSIDE_FUNCTION.test(err.message ?? '')) {
        result.error.dispose();
        result = vm.evalCode(`(function () {\n${code}\n}).call(globalThis)`, 'tool.js', { type: 'global' });
      }
    }
    let value = unwrap(vm, result, state, opts);
    const promise = vm.typeof(value) === 'object' ? vm.getPromiseState(value) : undefined;
    if (promise && !(promise.type === 'fulfilled' && promise.notAPromise)) {
      runtime.executePendingJobs();
      const settled = vm.getPromiseState(value);
      value.dispose();
      if (settled.type === 'pending') {
        throw new SandboxError(
          'sandbox_error',
          'the script returned a promise that never settles (no I/O or timers exist in the sandbox)',
        );
      }
      if (settled.type === 'rejected') {
        const e = describe(vm, settled.error);
        settled.error.dispose();
        throw classify(e, state, opts);
      }
      value = settled.value;
    }
    const kind = vm.typeof(value);
    if (kind === 'function' || kind === 'symbol') {
      value.dispose();
      throw new SandboxError('sandbox_error', `the script's result is a ${kind}, not JSON`);
    }
    if (kind === 'undefined') {
      value.dispose();
      return null;
    }
    const out = vm.callFunction(stringify, vm.undefined, value);
    value.dispose();
    const textHandle = unwrap(vm, out, state, opts);
    const textOut = vm.typeof(textHandle) === 'string' ? vm.getString(textHandle) : undefined;
    textHandle.dispose();
    if (textOut !== undefined && textOut.length > MAX_RESULT_CHARS) {
      throw new SandboxError(
        'sandbox_memory',
        `the script's result is larger than ${MAX_RESULT_CHARS / 1024 / 1024} MiB of JSON`,
      );
    }
    return textOut === undefined ? null : (JSON.parse(textOut) as unknown);
  } finally {
    parse.dispose();
    stringify.dispose();
  }
}

function unwrap(
  vm: QuickJSContext,
  result: ReturnType<QuickJSContext['evalCode']>,
  state: RunState,
  opts: SandboxOptions,
): QuickJSHandle {
  if (!result.error) return result.value;
  const e = describe(vm, result.error);
  result.error.dispose();
  throw classify(e, state, opts);
}

function describe(vm: QuickJSContext, handle: QuickJSHandle): string {
  let dumped: unknown;
  try {
    dumped = vm.dump(handle);
  } catch {
    return 'unknown error';
  }
  if (dumped && typeof dumped === 'object') {
    const e = dumped as { name?: unknown; message?: unknown };
    const name = typeof e.name === 'string' ? e.name : 'Error';
    const message = typeof e.message === 'string' ? e.message : JSON.stringify(dumped);
    return `${name}: ${message}`;
  }
  return `thrown: ${String(dumped)}`;
}

function classify(message: string, state: RunState, opts: SandboxOptions): SandboxError {
  const interrupted = state.interrupted();
  if (interrupted === 'timeout' || (interrupted === undefined && /InternalError: interrupted/.test(message))) {
    return new SandboxError('sandbox_timeout', `the script ran longer than its ${opts.timeoutMs} ms limit`);
  }
  if (interrupted === 'cancelled') return new SandboxError('sandbox_timeout', 'the script was cancelled');
  if (/out of memory/i.test(message) || state.heapFull()) {
    return new SandboxError('sandbox_memory', `the script exceeded its ${opts.memoryMb} MiB memory limit`);
  }
  if (/stack overflow/i.test(message))
    return new SandboxError('sandbox_error', `the script overflowed its stack (${message})`);
  return new SandboxError('sandbox_error', message);
}
