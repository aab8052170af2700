import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sendError } from '../errors';
import { isApiPath, lowerPath } from './path';

/** Paths under /api that stay open with a token set (load-balancer health checks). */
const PUBLIC_API_PATHS = new Set(['/api/health']);

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

/** Constant-time token comparison (hashes first so lengths never leak). */
export function tokenEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * When an admin token is configured, every /api/** request (checked on the lower-cased
 * path, before any body is parsed) must carry `Authorization: Bearer <token>`.
 * Nothing else grants trust: not loopback, not X-Forwarded-For, not cookies.
 */
export function adminAuth(adminToken: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!adminToken || !isApiPath(req.path)) {
      next();
      return;
    }
    const p = lowerPath(req.path).replace(/\/+$/, '');
    if (PUBLIC_API_PATHS.has(p) && (req.method === 'GET' || req.method === 'HEAD')) {
      next();
      return;
    }
    const header = req.get('authorization') ?? '';
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!m || !tokenEquals(m[1] ?? '', adminToken)) {
      // Do not read the body of a refused request; close the connection afterwards.
      res.setHeader('WWW-Authenticate', 'Bearer realm="braid"');
      if (req.headers['content-length'] || req.headers['transfer-encoding']) res.setHeader('Connection', 'close');
      sendError(
        res,
        401,
        'unauthorized',
        header ? 'invalid bearer token' : 'missing bearer token (Authorization: Bearer <BRAID_ADMIN_TOKEN>)',
      );
      return;
    }
    next();
  };
}
