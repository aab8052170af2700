/**
 * The one guard for every outbound request whose URL a user controls (the http tool;
 * URL ingestion and webhooks import it too). The operator's own provider URLs do not go
 * through here (server/llm/fast-fetch.ts).
 *
 * For every hop (the first request and each redirect):
 * 1. the scheme must be http or https;
 * 2. the host is resolved (IP literals in any encoding are normalised by WHATWG URL:
 *    http://2130706433/ is 127.0.0.1) and EVERY resolved address must be public unicast
 *    (server/net/address-policy.ts), unless the host is in the allow-list;
 * 3. the socket is pinned to the vetted address (a custom `lookup` that returns it), so
 *    a second DNS answer cannot swap in a private address (no DNS-rebinding gap);
 * 4. redirects are followed by hand, at most `maxRedirects`, each hop checked again;
 *    credentials are dropped when a redirect leaves the origin.
 * The body is read up to `maxBytes` (decoded size when compressed) and everything runs
 * under one deadline of `timeoutMs`.
 */
import http from 'node:http';
import https from 'node:https';
import dns from 'node:dns';
import zlib from 'node:zlib';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { NodeError } from '../runtime/types';
import { checkAddress, hostAllowed, isIpLiteral, bareHost, METADATA_HOSTS } from './address-policy';
import { raceAbort } from './abort';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolve a host name to addresses (inject one in tests; defaults to the system resolver). */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardedFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  signal?: AbortSignal;
  /** Overall deadline for all hops and the body, ms (default 15 000). */
  timeoutMs?: number;
  /** Largest body accepted, bytes (default 2 MiB). */
  maxBytes?: number;
  /** Host names (or IPs; `*.example.com` for subdomains) that may resolve to non-public addresses. */
  allowHosts?: readonly string[];
  /** Redirects followed before giving up (default 5; 0 returns the 3xx response). */
  maxRedirects?: number;
  resolver?: Resolver;
}

export interface GuardedResponse {
  status: number;
  statusText: string;
  /** Lower-case names; repeated headers joined with ", " (set-cookie dropped). */
  headers: Record<string, string>;
  /** The final URL after redirects. */
  url: string;
  /** Every URL visited before the final one. */
  redirects: string[];
  body: Buffer;
  text(): string;
  json(): unknown;
}

export type GuardErrorCode = 'ssrf_blocked' | 'http_timeout' | 'response_too_large' | 'http_error';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key', 'api-key'];

export const systemResolver: Resolver = async (hostname) => {
  const all = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return all.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function blocked(url: URL, reason: string): NodeError {
  return new NodeError(
    'ssrf_blocked',
    `refused ${url.origin}: ${reason}; outbound requests may only reach public addresses unless the host is in BRAID_HTTP_ALLOW_HOSTS`,
  );
}

/** Vet one hop's URL (also used by the MCP client's streaming fetch); returns the address to pin, or undefined to connect to an IP literal directly. */
export async function vet(
  url: URL,
  allowHosts: readonly string[],
  resolver: Resolver,
): Promise<ResolvedAddress | undefined> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new NodeError('ssrf_blocked', `refused ${url.protocol}// URL: only http and https are allowed`);
  }
  const host = bareHost(url.hostname).toLowerCase().replace(/\.$/, '');
  const allowed = hostAllowed(host, allowHosts);
  if (!allowed && METADATA_HOSTS.has(host)) throw blocked(url, `${host} is a cloud metadata host`);
  if (!allowed && (host === 'localhost' || host.endsWith('.localhost')))
    throw blocked(url, `${host} is a loopback host name`);
  if (isIpLiteral(host)) {
    if (!allowed) {
      const v = checkAddress(host);
      if (!v.ok) throw blocked(url, v.reason ?? 'address not allowed');
    }
    return undefined;
  }
  let addrs: ResolvedAddress[];
  try {
    addrs = await resolver(host);
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new NodeError('http_error', `cannot resolve ${host}${code ? ` (${code})` : ''}`, {
      retryable: code === 'EAI_AGAIN',
      cause: err,
    });
  }
  if (addrs.length === 0) throw new NodeError('http_error', `cannot resolve ${host}: no addresses`);
  if (!allowed) {
    for (const a of addrs) {
      const v = checkAddress(a.address);
      if (!v.ok) throw blocked(url, `${host} resolves to ${v.reason ?? a.address}`);
    }
  }
  return addrs[0];
}

/**
 * A lookup that answers with the vetted address. It answers asynchronously, as dns.lookup
 * does: answered synchronously, the socket connects inside `http.request()` itself, and a
 * connect error raised at once by the OS (ENETUNREACH for an IPv6 address on an IPv4-only
 * host, EADDRNOTAVAIL, EINVAL…) is emitted on the socket before the request has attached
 * its error listener, an uncaught 'error' event that ends the process.
 */
export function pinnedLookup(pin: ResolvedAddress): LookupFunction {
  return ((_host: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) => {
    setImmediate(() => {
      if (options?.all) cb(null, [{ address: pin.address, family: pin.family }]);
      else cb(null, pin.address, pin.family);
    });
  }) as unknown as LookupFunction;
}

function decoded(res: http.IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip') return res.pipe(zlib.createGunzip());
  if (enc === 'deflate') return res.pipe(zlib.createInflate());
  if (enc === 'br') return res.pipe(zlib.createBrotliDecompress());
  return res;
}

function flatHeaders(res: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined || k === 'set-cookie') continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

interface HopResult {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
}

function oneHop(
  url: URL,
  pin: ResolvedAddress | undefined,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | undefined,
  maxBytes: number,
  signal: AbortSignal,
  followable: boolean,
): Promise<HopResult> {
  return new Promise<HopResult>((resolve, reject) => {
    const isHttps = url.protocol === 'https:';
    const reqHeaders: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...headers };
    if (body !== undefined)
      reqHeaders['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    const req = (isHttps ? https : http).request(url, {
      method,
      headers: reqHeaders,
      agent: false,
      ...(pin ? { lookup: pinnedLookup(pin) } : {}),
      ...(isHttps && !isIpLiteral(url.hostname) ? { servername: url.hostname } : {}),
    });
    let done = false;
    const finish = (err: Error | null, value?: HopResult): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value as HopResult);
    };
    const onAbort = (): void => finish(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    // `on`, not `once`: a second error (a socket dying after the first) must not go uncaught
    req.on('error', (err) =>
      finish(
        signal.aborted
          ? (signal.reason as Error)
          : new NodeError(
              'http_error',
              `request to ${url.origin} failed: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
              { retryable: true, cause: err },
            ),
      ),
    );
    req.once('response', (res) => {
      const status = res.statusCode ?? 0;
      const hdrs = flatHeaders(res);
      if (followable && REDIRECTS.has(status) && hdrs.location) {
        res.resume();
        finish(null, { status, statusText: res.statusMessage ?? '', headers: hdrs, body: Buffer.alloc(0) });
        return;
      }
      const declared = Number(hdrs['content-length']);
      if (!hdrs['content-encoding'] && Number.isFinite(declared) && declared > maxBytes) {
        finish(
          new NodeError(
            'response_too_large',
            `response from ${url.origin} is ${declared} bytes, over the ${maxBytes}-byte limit`,
          ),
        );
        res.destroy();
        return;
      }
      const src = decoded(res);
      const chunks: Buffer[] = [];
      let size = 0;
      src.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          finish(
            new NodeError('response_too_large', `response from ${url.origin} exceeded the ${maxBytes}-byte limit`),
          );
          res.destroy();
          src.destroy();
          return;
        }
        chunks.push(c);
      });
      src.once('end', () =>
        finish(null, { status, statusText: res.statusMessage ?? '', headers: hdrs, body: Buffer.concat(chunks) }),
      );
      src.once('error', (err) =>
        finish(
          signal.aborted
            ? (signal.reason as Error)
            : new NodeError('http_error', `reading the response from ${url.origin} failed: ${err.message}`, {
                retryable: true,
                cause: err,
              }),
        ),
      );
      res.once('aborted', () =>
        finish(new NodeError('http_error', `the response from ${url.origin} was cut`, { retryable: true })),
      );
    });
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

/** Fetch a user-controlled URL through the SSRF guard. Errors are NodeErrors (see GuardErrorCode). */
export async function guardedFetch(input: string | URL, init: GuardedFetchInit = {}): Promise<GuardedResponse> {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new NodeError('http_error', `invalid URL: ${JSON.stringify(String(input).slice(0, 200))}`);
  }
  const timeoutMs = init.timeoutMs ?? 15_000;
  const maxBytes = init.maxBytes ?? 2 * 1024 * 1024;
  const maxRedirects = init.maxRedirects ?? 5;
  const allowHosts = init.allowHosts ?? [];
  const resolver = init.resolver ?? systemResolver;
  const timeoutErr = new NodeError('http_timeout', `request to ${url.origin} timed out after ${timeoutMs} ms`, {
    retryable: true,
  });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(timeoutErr), timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, deadline.signal]) : deadline.signal;
  const cancelled = (): NodeError =>
    init.signal?.aborted ? new NodeError('cancelled', `request to ${url.origin} cancelled`) : timeoutErr;

  let method = (init.method ?? 'GET').toUpperCase();
  let headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) headers[k.toLowerCase()] = v;
  let body = init.body;
  const visited: string[] = [];
  try {
    for (let hop = 0; ; hop++) {
      let res: HopResult;
      try {
        if (signal.aborted) throw cancelled();
        const pin = await raceAbort(vet(url, allowHosts, resolver), signal);
        res = await oneHop(url, pin, method, headers, body, maxBytes, signal, maxRedirects > 0);
      } catch (err) {
        if (signal.aborted && !(err instanceof NodeError && err.code !== 'http_error')) throw cancelled();
        throw err;
      }
      if (!(REDIRECTS.has(res.status) && res.headers.location && maxRedirects > 0)) {
        const final = url.toString();
        const buf = res.body;
        return {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
          url: final,
          redirects: visited,
          body: buf,
          text: () => buf.toString('utf8'),
          json: () => JSON.parse(buf.toString('utf8')) as unknown,
        };
      }
      if (hop >= maxRedirects)
        throw new NodeError(
          'http_error',
          `too many redirects (more than ${maxRedirects}) starting at ${visited[0] ?? url.toString()}`,
        );
      let next: URL;
      try {
        next = new URL(res.headers.location, url);
      } catch {
        throw new NodeError('http_error', `invalid redirect location from ${url.origin}`);
      }
      visited.push(url.toString());
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        if (method !== 'HEAD') method = 'GET';
        body = undefined;
        const { 'content-type': _ct, 'content-length': _cl, ...rest } = headers;
        headers = rest;
      }
      if (next.origin !== url.origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
      }
      url = next;
    }
  } finally {
    clearTimeout(timer);
  }
}
