/**
 * The default process log never writes synchronously per line (issue 14: a request line per
 * call at the default `info` level): lines are batched into one asynchronous write per
 * 4 KiB or 100 ms. That the rest is written at exit is checked on a real process in
 * test/build/compiled-server.test.ts.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from './app';

describe('createLogger', () => {
  afterEach(() => vi.restoreAllMocks());

  it('batches log lines into asynchronous writes instead of one synchronous write per line', async () => {
    const written: string[] = [];
    const writeSync = vi.spyOn(fs, 'writeSync');
    const write = vi.spyOn(fs, 'write').mockImplementation(((fd: number, data: string | Buffer, ...rest: unknown[]) => {
      const cb = rest.at(-1) as (err: Error | null, n: number) => void;
      if (fd === 1) written.push(String(data));
      setImmediate(() => cb(null, Buffer.byteLength(data)));
    }) as unknown as typeof fs.write);
    const logger = createLogger({ logLevel: 'info' });
    for (let i = 0; i < 20; i++) logger.info({ path: `/v1/endpoints/問い合わせ-${i}`, status: 200 }, 'request');
    expect(writeSync.mock.calls.filter((c) => c[0] === 1)).toHaveLength(0);
    expect(written).toHaveLength(0); // under 4 KiB: waits for the timer
    await new Promise((r) => setTimeout(r, 250));
    const lines = written.join('').trim().split('\n');
    expect(lines).toHaveLength(20);
    expect(JSON.parse(lines[7] as string)).toMatchObject({ msg: 'request', path: '/v1/endpoints/問い合わせ-7' });
    expect(write.mock.calls.filter((c) => c[0] === 1).length).toBeLessThanOrEqual(2);

    // a burst past 4 KiB goes out at once, still as a few writes, not one per line
    written.length = 0;
    write.mockClear();
    for (let i = 0; i < 200; i++) logger.info({ path: `/v1/endpoints/burst-${i}`, status: 200 }, 'request');
    await new Promise((r) => setTimeout(r, 250));
    expect(written.join('').trim().split('\n')).toHaveLength(200);
    expect(write.mock.calls.filter((c) => c[0] === 1).length).toBeLessThan(20);
    expect(writeSync.mock.calls.filter((c) => c[0] === 1)).toHaveLength(0);
  });

  it('writes nothing at all when silent', () => {
    const write = vi.spyOn(fs, 'write');
    createLogger({ logLevel: 'silent' }).info('nothing');
    expect(write).not.toHaveBeenCalled();
  });
});
