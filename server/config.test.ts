import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARS, loadConfig, ConfigError } from './config';

describe('config', () => {
  it('documents every environment variable it reads in docs/configuration.md', () => {
    const doc = fs.readFileSync(new URL('../docs/configuration.md', import.meta.url), 'utf8');
    const missing = ENV_VARS.filter((v) => !doc.includes(`| \`${v}\` |`));
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
