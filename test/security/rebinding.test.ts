/**
 * DNS rebinding in loopback mode (no admin token): a page on an attacker's domain that
 * resolves to 127.0.0.1 sends its own Host. Only the key-protected /v1 endpoints answer
 * such requests; /api, /metrics and the pages at / refuse them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startHarness, type Harness } from '../http/harness';

describe('DNS rebinding (loopback mode)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('refuses a foreign Host on /api, /metrics and / (and serves loopback names)', async () => {
    for (const p of ['/api/flows', '/api/health', '/metrics', '/', '/some/page', '/API/flows']) {
      for (const host of ['rebind.attacker.example', 'rebind.attacker.example:3000', '127.0.0.1.attacker.example']) {
        const res = await rawRequest(h.url, { method: 'GET', path: p, headers: { host } });
        expect(res.status, `${p} Host: ${host} → ${res.status}`).toBe(403);
        expect(res.body).not.toContain('braid_');
        expect(res.body).not.toContain('qa');
      }
    }
    for (const host of ['127.0.0.1', 'localhost', `127.0.0.1:${new URL(h.url).port}`, '[::1]', 'app.localhost']) {
      const res = await rawRequest(h.url, { method: 'GET', path: '/metrics', headers: { host } });
      expect(res.status, `Host: ${host}`).toBe(200);
      const page = await rawRequest(h.url, { method: 'GET', path: '/', headers: { host } });
      expect(page.status, `Host: ${host}`).toBe(200);
    }
  });

  it('deployed endpoints still answer any Host (they need a key)', async () => {
    const res = await rawRequest(h.url, { method: 'GET', path: '/v1/models', headers: { host: 'api.example.com' } });
    expect(res.status).toBe(401);
  });
});
