/**
 * Public routes are a tested list: walk every route the app has, call it without any
 * credentials (admin token set), and compare what answers (anything but 401) with the
 * checked-in allow-list below. A new route that answers without a token fails here until
 * it is listed on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Express } from 'express';
import { ConfigError, loadConfig } from '../../server/config';
import { rawRequest, startHarness, type Harness } from '../http/harness';

const TOKEN = 'admin-token-public-routes-0123456789';

/** Routes that answer without a token or key: `METHOD path` as declared. */
const PUBLIC_ROUTES = [
  'GET /api/health',
  'OPTIONS /v1/endpoints/:slug',
  'OPTIONS /v1/endpoints/:slug/feedback',
  'OPTIONS /v1/endpoints/:slug/openapi.json',
  'OPTIONS /v1/endpoints/:slug/runs/:runId',
  'OPTIONS /v1/chat/completions',
  'OPTIONS /v1/models',
  'OPTIONS /v1/models/:id',
  // MCP (Streamable HTTP, stateless): the CORS preflight, and 405 for the session methods a
  // stateless server does not have (POST, the only method that runs anything, needs a key).
  'OPTIONS /v1/mcp',
  'GET /v1/mcp',
  'DELETE /v1/mcp',
].sort();

interface RouteInfo {
  method: string;
  path: string;
}

interface LayerLike {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

/** Every (method, path) declared on the app's routers, nested routers included. */
export function appRoutes(app: Express): RouteInfo[] {
  const out: RouteInfo[] = [];
  const walk = (stack: LayerLike[]): void => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths)
          for (const [m, on] of Object.entries(layer.route.methods))
            if (on) out.push({ method: m.toUpperCase(), path: p });
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: LayerLike[] } }).router.stack);
  return out;
}

describe('public routes (BRAID_ADMIN_TOKEN set)', () => {
  let h: Harness;
  beforeAll(async () => {
    // The walk makes ~80 refused calls from one address: the failed-auth throttle (tested in
    // auth-throttle.test.ts) would answer 429 to the later ones.
    h = await startHarness({ adminToken: TOKEN, env: { BRAID_AUTH_FAILURE_LIMIT: '0' } });
  });
  afterAll(async () => {
    await h.close();
  });

  it('only the allow-listed routes answer without credentials', async () => {
    const routes = appRoutes(h.server.app.app);
    expect(routes.length).toBeGreaterThan(60);
    const answered: string[] = [];
    for (const r of routes) {
      const path = r.path.replace(/:(\w+)/g, 'x-$1');
      const res = await rawRequest(h.url, {
        method: r.method,
        path,
        headers: { 'content-type': 'application/json' },
        ...(['POST', 'PUT', 'PATCH'].includes(r.method) ? { body: '{}' } : {}),
      });
      if (res.status !== 401) answered.push(`${r.method} ${r.path}`);
      else expect(res.body, `${r.method} ${path}`).toMatch(/"code":"(unauthorized|key_revoked)"/);
    }
    expect([...new Set(answered)].sort()).toEqual(PUBLIC_ROUTES);
  });

  it('every allow-listed route exists (the list does not go stale)', () => {
    const declared = new Set(appRoutes(h.server.app.app).map((r) => `${r.method} ${r.path}`));
    for (const r of PUBLIC_ROUTES) expect(declared, r).toContain(r);
  });

  it('`/` without a built UI does not list flow ids or names', async () => {
    const res = await fetch(`${h.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Braid');
    for (const f of await h.server.app.context.flows.list().then((l) => l.flows)) {
      expect(html).not.toContain(f.id);
      expect(html).not.toContain(f.name);
    }
  });
});

describe('public routes (loopback, no token)', () => {
  it('`/` lists the flows for the local builder', async () => {
    const h = await startHarness();
    try {
      const html = await (await fetch(`${h.url}/`)).text();
      const { flows } = await h.server.app.context.flows.list();
      expect(flows.length).toBeGreaterThan(0);
      for (const f of flows) expect(html).toContain(f.id);
    } finally {
      await h.close();
    }
  });
});

describe('an empty BRAID_ADMIN_TOKEN', () => {
  it('is refused at start with a clear message, never read as "no auth"', () => {
    for (const v of ['', ' ', '\t\n', ' '.repeat(40)]) {
      expect(() => loadConfig({ BRAID_ADMIN_TOKEN: v }), JSON.stringify(v)).toThrow(ConfigError);
      expect(() => loadConfig({ BRAID_ADMIN_TOKEN: v }), JSON.stringify(v)).toThrow(/BRAID_ADMIN_TOKEN/);
    }
    expect(() => loadConfig({ BRAID_ADMIN_TOKEN: '' })).toThrow(/set but empty/);
    expect(() => loadConfig({ BRAID_ADMIN_TOKEN: 'トークン'.repeat(2) + ' ' + 'x'.repeat(16) })).toThrow(/spaces/);
    expect(loadConfig({ BRAID_ADMIN_TOKEN: 'x'.repeat(16) }).adminToken).toBe('x'.repeat(16));
    expect(loadConfig({}).adminToken).toBeUndefined();
  });
});
