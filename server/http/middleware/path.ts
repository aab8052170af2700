import type { RequestHandler } from 'express';
import { sendError } from '../errors';

/**
 * Refuse request paths that different layers could read differently: dot segments,
 * doubled or encoded slashes, backslashes, encoded dots, NUL and control characters.
 * After this check, auth and routing see the same path.
 */
export function normalisedPath(): RequestHandler {
  return (req, res, next) => {
    const raw = req.originalUrl.split('?')[0] ?? '';
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      sendError(res, 400, 'invalid_path', 'the request path is not valid URL encoding');
      return;
    }
    const bad =
      !raw.startsWith('/') ||
      raw.includes('//') ||
      raw.includes('\\') ||
      /%2f|%5c|%00/i.test(raw) ||
      encodesUnreserved(raw) ||
      /(^|\/)\.\.?(\/|$)/.test(decoded) ||
      // eslint-disable-next-line no-control-regex
      /[\u0000-\u001f\u007f]/.test(decoded);
    if (bad) {
      sendError(res, 400, 'invalid_path', 'the request path is not in normal form');
      return;
    }
    next();
  };
}

/** A percent-encoded unreserved character (`%61` for `a`, `%2e` for `.`) is not normal form. */
function encodesUnreserved(raw: string): boolean {
  for (const m of raw.matchAll(/%([0-9a-fA-F]{2})/g)) {
    if (/[A-Za-z0-9._~-]/.test(String.fromCharCode(parseInt(m[1] ?? '0', 16)))) return true;
  }
  return false;
}

/** The lower-cased request path that auth decisions use (routing is case-sensitive). */
export function lowerPath(path: string): string {
  return path.toLowerCase();
}

export function isApiPath(path: string): boolean {
  const p = lowerPath(path);
  return p === '/api' || p.startsWith('/api/');
}
