import type { RequestHandler } from 'express';
import type { Config } from '../../config';
import { sendError } from '../errors';
import { isApiPath } from './path';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function hostname(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const i = h.lastIndexOf(':');
  return i >= 0 ? h.slice(0, i) : h;
}

export function isLoopbackName(name: string): boolean {
  return LOOPBACK_NAMES.has(name) || name.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Browser-facing guards:
 * - without an admin token (loopback mode) the Host header must be a loopback name (or the
 *   configured public URL's host) on every path but /v1/… (deployed endpoints, which need
 *   a key), which defeats DNS-rebinding pages that resolve their own domain to 127.0.0.1;
 * - an /api request that carries an Origin header must come from the same host as it is sent to
 *   (no cross-site page can drive the API, even with "simple" requests that skip CORS).
 */
export function browserGuards(config: Pick<Config, 'adminToken' | 'publicUrl' | 'host'>): RequestHandler {
  const allowedHosts = new Set<string>();
  if (config.publicUrl) allowedHosts.add(new URL(config.publicUrl).hostname.toLowerCase());
  allowedHosts.add(config.host.toLowerCase());
  return (req, res, next) => {
    const host = req.get('host') ?? '';
    // The Host check covers every path but the key-protected deployed endpoints (/v1/…):
    // a rebinding page must not read /metrics or the flow list page at / either.
    if (!config.adminToken && !req.path.startsWith('/v1/')) {
      const name = hostname(host);
      if (!isLoopbackName(name) && !allowedHosts.has(name)) {
        sendError(
          res,
          403,
          'forbidden_host',
          `requests must address this server by a loopback name (got Host: ${name.slice(0, 100) || 'none'}); set BRAID_ADMIN_TOKEN to serve other names`,
        );
        return;
      }
    }
    if (!isApiPath(req.path)) return next();
    const origin = req.get('origin');
    if (origin !== undefined && origin !== '') {
      let originHost: string;
      try {
        originHost = origin === 'null' ? 'null' : new URL(origin).host.toLowerCase();
      } catch {
        originHost = 'invalid';
      }
      if (originHost !== host.trim().toLowerCase()) {
        sendError(res, 403, 'forbidden_origin', 'cross-origin requests to the API are not allowed');
        return;
      }
    }
    next();
  };
}
