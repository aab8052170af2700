/**
 * The builder UI: the built client from dist/client when it exists (SPA fallback for
 * non-/api GETs), else a plain HTML page listing the flows — without the list when an admin
 * token is set, since `/` is public and flow ids and names are builder data.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type RequestHandler, type Router } from 'express';
import type { FlowStore } from '../flows/store';
import { createRouter } from './context';
import { isApiPath } from './middleware/path';

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/**
 * The builder's Content-Security-Policy: scripts, workers (Monaco's, bundled by Vite),
 * fonts, styles and API calls from this origin only; no inline or eval'd script, no
 * plug-ins, no framing. Inline styles stay allowed (Monaco and React Flow set them);
 * `data:` images and fonts are the bundle's own small assets (the favicon, icons).
 */
export const UI_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "worker-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  // Every file of the UI carries it: a worker script is governed by its own response's policy.
  res.setHeader('Content-Security-Policy', UI_CSP);
  next();
};

function isPageRequest(method: string, p: string): boolean {
  // Other prefixes (/v1, /metrics) belong to their own routers and get JSON 404s.
  const lower = p.toLowerCase();
  return (method === 'GET' || method === 'HEAD') && !isApiPath(p) && !lower.startsWith('/v1/') && lower !== '/metrics';
}

export function staticRoutes(opts: { clientDir: string; flows: FlowStore; adminToken?: string }): Router {
  const r = createRouter();
  r.use(SECURITY_HEADERS);
  const index = path.join(opts.clientDir, 'index.html');
  if (fs.existsSync(index)) {
    r.use(express.static(opts.clientDir, { index: false, fallthrough: true, maxAge: '1h', immutable: false }));
    r.use((req, res, next) => {
      if (!isPageRequest(req.method, req.path)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(index);
    });
    return r;
  }
  r.use(async (req, res, next) => {
    if (!isPageRequest(req.method, req.path) || req.path !== '/') return next();
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'");
    if (opts.adminToken) {
      res.type('html').send(page('<p>The flows are listed by <code>GET /api/flows</code> with the admin token.</p>'));
      return;
    }
    const { flows, problems } = await opts.flows.list();
    const items = flows
      .map(
        (f) =>
          `<li><a href="/api/flows/${encodeURIComponent(f.id)}"><code>${escapeHtml(f.id)}</code></a> — ${escapeHtml(f.name)}${f.valid ? '' : ' <em>(invalid)</em>'}</li>`,
      )
      .join('\n');
    const bad = problems.map((p) => `<li><code>${escapeHtml(p.file)}</code>: ${escapeHtml(p.error)}</li>`).join('\n');
    res
      .type('html')
      .send(
        page(
          `<h2>Flows</h2><ul>${items || '<li>No flows in the flows folder.</li>'}</ul>\n${bad ? `<h2>Unreadable flow files</h2><ul>${bad}</ul>` : ''}`,
        ),
      );
  });
  return r;
}

function page(body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Braid</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}</style></head>
<body><h1>Braid</h1>
<p>The builder UI is not built yet (run <code>npm run build:client</code>). The API is at <code>/api</code>; see docs/api.md.</p>
${body}
</body></html>`;
}
