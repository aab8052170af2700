import { describe, it, expect } from 'vitest';
import { runInSandbox, SandboxError, type SandboxOptions } from './quickjs';

const limits = { timeoutMs: 300, memoryMb: 16 };

async function fails(code: string, opts: SandboxOptions = limits): Promise<SandboxError> {
  const err = await runInSandbox(code, { input: 1 }, opts).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SandboxError);
  return err as SandboxError;
}

describe('QuickJS sandbox', () => {
  it('runs code with inputs as globals; `return` and last-expression both work', async () => {
    expect(await runInSandbox('return input * 2', { input: 21 }, limits)).toBe(42);
    expect(
      await runInSandbox('input.items.map((x) => x.toUpperCase())', { input: { items: ['a', 'b'] } }, limits),
    ).toEqual(['A', 'B']);
    expect(
      await runInSandbox('const s = a + b; ({ s, at: new Date(0).toISOString() })', { a: 1, b: 2 }, limits),
    ).toEqual({ s: 3, at: '1970-01-01T00:00:00.000Z' });
    expect(await runInSandbox('return undefined', {}, limits)).toBeNull();
    expect(await runInSandbox('Promise.resolve(5).then((x) => x + 1)', {}, limits)).toBe(6);
  });

  it('has no process, require, Function-constructor escape, network or timers', async () => {
    expect((await fails('process.exit(1)')).message).toMatch(/process.* is not defined/);
    expect((await fails('require("fs")')).message).toMatch(/require.* is not defined/);
    expect((await fails("globalThis.constructor.constructor('return process')()")).message).toMatch(
      /process.* is not defined/,
    );
    expect((await fails('fetch("http://127.0.0.1/")')).message).toMatch(/fetch.* is not defined/);
    expect((await fails('setTimeout(() => 1, 1)')).message).toMatch(/setTimeout.* is not defined/);
    expect((await fails('import("fs")')).code).toBe('sandbox_error');
    expect((await fails('new Promise(() => {})')).message).toMatch(/never settles/);
  });

  it('stops an infinite loop at the time limit', async () => {
    const t0 = performance.now();
    const err = await fails('while (true) {}');
    expect(err.code).toBe('sandbox_timeout');
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('stops a memory bomb at the memory limit', async () => {
    const err = await fails('const a = []; for (let i = 0; ; i++) a.push({ i, s: "item " + i });', {
      timeoutMs: 5000,
      memoryMb: 16,
    });
    expect(err.code, err.message).toBe('sandbox_memory');
    const big = await fails('new Array(50 * 1024 * 1024).fill(1.5)', { timeoutMs: 5000, memoryMb: 16 });
    expect(big.code).toBe('sandbox_memory');
    // Many mid-sized strings and buffers slip past QuickJS's own accounting; the capped
    // WebAssembly memory stops them.
    const t0 = performance.now();
    const strings = await fails('const a = []; for (let i = 0; ; i++) a.push(String(i).padStart(100000, "ab"));', {
      timeoutMs: 5000,
      memoryMb: 16,
    });
    expect(strings.code).toBe('sandbox_memory');
    expect(performance.now() - t0).toBeLessThan(3000);
    const buffers = await fails(
      'const a = []; for (let i = 0; i < 500; i++) a.push(new Uint8Array(1024 * 1024).fill(1)); a.length',
      { timeoutMs: 5000, memoryMb: 16 },
    );
    expect(buffers.code).toBe('sandbox_memory');
  });

  it('stops runaway recursion with a stack error', async () => {
    const err = await fails('function f() { return f() + 1 } f()');
    expect(err.code).toBe('sandbox_error');
    expect(err.message).toMatch(/stack/);
  });

  it('refuses non-JSON results and reports thrown errors', async () => {
    expect((await fails('return () => 1')).message).toMatch(/function/);
    expect((await fails('throw new TypeError("nope")')).message).toBe('TypeError: nope');
    expect((await fails('return 1n')).code).toBe('sandbox_error');
    expect((await fails('return {')).message).toMatch(/SyntaxError/);
  });

  it('keeps working after every kind of failure, each run in a fresh context', async () => {
    await fails('while (true) {}');
    await fails('const a = []; for (;;) a.push([1, 2, 3, 4]);', { timeoutMs: 5000, memoryMb: 8 });
    await fails('function f() { return f() } f()');
    await runInSandbox('globalThis.leak = 42', {}, limits);
    expect(await runInSandbox('typeof leak', {}, limits)).toBe('undefined');
    expect(await runInSandbox('return input + "!"', { input: 'still fine' }, limits)).toBe('still fine!');
  });

  it('stops when the signal aborts', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    expect((await fails('1', { ...limits, signal: ctrl.signal })).code).toBe('sandbox_timeout');
  });
});
