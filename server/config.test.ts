/** BRAID_EVAL_INPROCESS_WORKER / BRAID_EVAL_INPROCESS_CONCURRENCY parsing (the embedded evaluation worker). */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('config: embedded evaluation worker', () => {
  it('is on with concurrency 8 by default', () => {
    const c = loadConfig({});
    expect(c.evalInProcessWorker).toBe(true);
    expect(c.evalInProcessConcurrency).toBe(8);
  });

  it('accepts 1/0, true/false, on/off, yes/no in any case', () => {
    for (const v of ['0', 'false', 'OFF', 'no'])
      expect(loadConfig({ BRAID_EVAL_INPROCESS_WORKER: v }).evalInProcessWorker).toBe(false);
    for (const v of ['1', 'TRUE', 'on', 'Yes'])
      expect(loadConfig({ BRAID_EVAL_INPROCESS_WORKER: v }).evalInProcessWorker).toBe(true);
    expect(loadConfig({ BRAID_EVAL_INPROCESS_CONCURRENCY: '32' }).evalInProcessConcurrency).toBe(32);
  });

  it('rejects anything else, naming the variable', () => {
    expect(() => loadConfig({ BRAID_EVAL_INPROCESS_WORKER: 'maybe' })).toThrow(ConfigError);
    expect(() => loadConfig({ BRAID_EVAL_INPROCESS_WORKER: 'maybe' })).toThrow(/BRAID_EVAL_INPROCESS_WORKER/);
    expect(() => loadConfig({ BRAID_EVAL_INPROCESS_CONCURRENCY: '0' })).toThrow(/BRAID_EVAL_INPROCESS_CONCURRENCY/);
    expect(() => loadConfig({ BRAID_EVAL_INPROCESS_CONCURRENCY: '2.5' })).toThrow(ConfigError);
  });
});
