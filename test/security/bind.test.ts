/** The server refuses to bind beyond loopback without BRAID_ADMIN_TOKEN, whatever the spelling. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

describe('bind address', () => {
  it('loopback binds need no token; anything else does', () => {
    for (const HOST of ['127.0.0.1', 'localhost', '::1', '127.0.0.2']) expect(() => loadConfig({ HOST })).not.toThrow();
    for (const HOST of ['0.0.0.0', '::', '10.0.0.5', '127.0.0.1.nip.io', '127.evil.example', 'example.com', '[::]']) {
      expect(() => loadConfig({ HOST }), HOST).toThrow(ConfigError);
      expect(() => loadConfig({ HOST, BRAID_ADMIN_TOKEN: 'x'.repeat(32) }), HOST).not.toThrow();
    }
    expect(() => loadConfig({ HOST: '0.0.0.0', BRAID_ADMIN_TOKEN: 'short' })).toThrow(ConfigError);
  });
});
