import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig, ConfigError } from './config';

describe('config', () => {
  it('documents every environment variable it reads in docs/configuration.md', () => {
    const doc = fs.readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const missing = ENV_VARS.filter((v) => !new RegExp(`^\\|\\s*\`${v}\`\\s*\\|`, 'm').test(doc));
    expect(missing).toEqual([]);
  });

  it('parses defaults and refuses bad values with the variable named', () => {
    const c = loadConfig({});
    expect(c.port).toBe(3000);
    expect(c.host).toBe('127.0.0.1');
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(loadConfig({ HOST: '0.0.0.0', BRAID_ADMIN_TOKEN: 'x'.repeat(32) }).host).toBe('0.0.0.0');
  });
});

// BRAID_EVAL_INPROCESS_WORKER / BRAID_EVAL_INPROCESS_CONCURRENCY (the embedded evaluation worker, docs/evaluation.md#scale-out).
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
