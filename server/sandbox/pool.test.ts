import { describe, it, expect } from 'vitest';
import { runSandboxed } from './pool';
import { SandboxError } from './quickjs';

describe('sandbox worker pool', () => {
  it('runs scripts in worker threads, in parallel', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((n) => runSandboxed('return n * 10', { n }, { timeoutMs: 2000, memoryMb: 16 })),
    );
    expect(results).toEqual([10, 20, 30]);
  });

  it('keeps the event loop free while a script spins', async () => {
    await runSandboxed('1', {}, { timeoutMs: 2000, memoryMb: 16 }); // warm a worker
    // In-process, a 1.5 s spin would stall the loop for 1.5 s; in a worker the loop keeps ticking.
    let last = performance.now();
    let maxGap = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 20);
    const err = await runSandboxed('while (true) {}', {}, { timeoutMs: 1500, memoryMb: 16 }).catch((e: unknown) => e);
    clearInterval(timer);
    expect(err).toBeInstanceOf(SandboxError);
    expect((err as SandboxError).code).toBe('sandbox_timeout');
    expect(maxGap).toBeLessThan(750);
  });

  it('cancels a running script at once and keeps serving', async () => {
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(), 100);
    const t0 = performance.now();
    const err = await runSandboxed(
      'while (true) {}',
      {},
      { timeoutMs: 30_000, memoryMb: 16, signal: ctrl.signal },
    ).catch((e: unknown) => e);
    expect(performance.now() - t0).toBeLessThan(2000);
    expect((err as SandboxError).code).toBe('sandbox_timeout');
    expect((err as SandboxError).message).toMatch(/cancelled/);
    expect(await runSandboxed('input + 1', { input: 1 }, { timeoutMs: 5000, memoryMb: 16 })).toBe(2);
  });

  it('reports memory and script errors from the worker', async () => {
    const mem = await runSandboxed(
      'new Array(64 * 1024 * 1024).fill(0.5)',
      {},
      { timeoutMs: 5000, memoryMb: 16 },
    ).catch((e: unknown) => e);
    expect((mem as SandboxError).code).toBe('sandbox_memory');
    const thrown = await runSandboxed('throw new Error("bad")', {}, { timeoutMs: 5000, memoryMb: 16 }).catch(
      (e: unknown) => e,
    );
    expect(thrown).toMatchObject({ code: 'sandbox_error', message: 'Error: bad' });
  });
});
