/**
 * The builder UI: the built client from dist/client when it exists (SPA fallback for
 * non-/api GETs; precompressed brotli/gzip copies; hashed assets cached for a year), else a
 * plain HTML page listing the flows — without the list when an admin token is set, since
 * `/` is public and flow ids and names are builder data.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
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

/** Vite's content-hashed output: a file's name changes whenever its bytes do. */
const HASHED_PREFIX = '/assets/';
const IMMUTABLE = 'public, max-age=31536000, immutable';

interface ClientFile {
  file: string;
  br: boolean;
  gzip: boolean;
}

/**
 * Every file of the built UI by URL path, with the precompressed copies (`.br`, `.gz`)
 * scripts/precompress.mjs wrote next to it. Read at start, and again when a new build has
 * replaced index.html (a build while the server runs); nothing outside this list is served.
 */
class ClientFiles {
  private files = new Map<string, ClientFile>();
  private builtAt = -1;

  constructor(private readonly dir: string) {
    this.refresh();
  }

  /** The file at a URL path; a miss re-reads the folder only when a new build is there. */
  get(urlPath: string): ClientFile | undefined {
    const f = this.files.get(urlPath);
    if (f || !this.rebuilt()) return f;
    this.refresh();
    return this.files.get(urlPath);
  }

  /** index.html, re-reading the folder first when it has changed. */
  index(): ClientFile | undefined {
    if (this.rebuilt()) this.refresh();
    return this.files.get('/index.html');
  }

  private rebuilt(): boolean {
    return (fs.statSync(path.join(this.dir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0) !== this.builtAt;
  }

  private refresh(): void {
    this.builtAt = fs.statSync(path.join(this.dir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
    const files = new Map<string, ClientFile>();
    const names = new Set(fs.readdirSync(this.dir, { recursive: true, encoding: 'utf8' }));
    for (const rel of names) {
      const urlPath = `/${rel.split(path.sep).join('/')}`;
      if (/\.(br|gz)$/.test(rel) || urlPath.split('/').some((seg) => seg.startsWith('.'))) continue;
      const file = path.join(this.dir, rel);
      if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      files.set(urlPath, { file, br: names.has(`${rel}.br`), gzip: names.has(`${rel}.gz`) });
    }
    this.files = files;
  }
}

/** The encodings an `Accept-Encoding` header allows (q > 0), `*` included. */
function acceptedEncodings(header: string | undefined): { br: boolean; gzip: boolean } {
  const q: Record<string, number> = {};
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const value = qp ? Number(qp.slice(2)) : 1;
    q[name] = Number.isFinite(value) ? value : 0;
  }
  const ok = (name: string) => (q[name] ?? q['*'] ?? 0) > 0;
  return { br: ok('br'), gzip: ok('gzip') || ok('x-gzip') };
}

/**
 * Send one file of the UI: its brotli or gzip copy when the browser accepts it (with
 * `Content-Encoding`, `Vary: Accept-Encoding` and an ETag of that copy — the app turns
 * Express's own ETags off), and the cache lifetime its name allows: a year and `immutable`
 * for hashed assets, revalidation for everything else.
 */
function sendClientFile(req: Request, res: Response, next: NextFunction, f: ClientFile, cacheControl: string): void {
  const variants = f.br || f.gzip;
  const accepted = variants ? acceptedEncodings(req.headers['accept-encoding']) : { br: false, gzip: false };
  const encoding = f.br && accepted.br ? 'br' : f.gzip && accepted.gzip ? 'gzip' : undefined;
  const file = encoding === 'br' ? `${f.file}.br` : encoding === 'gzip' ? `${f.file}.gz` : f.file;
  const st = fs.statSync(file, { throwIfNoEntry: false });
  if (!st?.isFile()) {
    next();
    return;
  }
  if (variants) res.setHeader('Vary', 'Accept-Encoding');
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader(
    'ETag',
    `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}${encoding ? `-${encoding}` : ''}"`,
  );
  res.type(path.extname(f.file));
  if (encoding) res.setHeader('Content-Encoding', encoding);
  res.sendFile(file, { cacheControl: false, dotfiles: 'allow', acceptRanges: !encoding }, (err?: Error) => {
    if (err && !res.headersSent) {
      res.removeHeader('Content-Encoding');
      res.removeHeader('ETag');
      next(err);
    }
  });
}

export function staticRoutes(opts: { clientDir: string; flows: FlowStore; adminToken?: string }): Router {
  const r = createRouter();
  r.use(SECURITY_HEADERS);
  const index = path.join(opts.clientDir, 'index.html');
  if (fs.existsSync(index)) {
    const files = new ClientFiles(opts.clientDir);
    r.use((req, res, next) => {
      if (!isPageRequest(req.method, req.path)) return next();
      const f = req.path === '/index.html' ? undefined : files.get(req.path);
      if (f) {
        sendClientFile(req, res, next, f, req.path.startsWith(HASHED_PREFIX) ? IMMUTABLE : 'public, max-age=3600');
        return;
      }
      // a hashed asset that is not there (an old page asking for the previous build's chunk)
      // is a 404, not the page: a script must not receive HTML
      if (req.path.startsWith(HASHED_PREFIX)) {
        res.setHeader('Cache-Control', 'no-store');
        res.status(404).type('text').send('not found');
        return;
      }
      sendClientFile(req, res, next, files.index() ?? { file: index, br: false, gzip: false }, 'no-cache');
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
