/**
 * A `fetch` for provider SDKs built on node:http / node:https keep-alive agents.
 *
 * Node 20's global fetch (undici's spec-complete implementation) costs several times more
 * per call than a keep-alive `http.Agent` (see bench numbers in docs/providers.md), and a
 * one-prompt flow's added latency is dominated by it. This implements the subset of the
 * fetch API the OpenAI / Anthropic / Ollama SDKs use: string/URL input, method, headers
 * (any HeadersInit), string / bytes / URLSearchParams bodies, AbortSignal, redirects, and
 * a streaming `Response` whose body is a ReadableStream (SSE works unchanged). Gzip,
 * deflate and brotli responses are decoded like fetch does. Anything else (a `Request`
 * object, a streaming or FormData body) falls back to the global fetch.
 *
 * This is for the operator's trusted provider endpoints only. User-controlled URLs go
 * through server/net/guarded-fetch.ts.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';

export interface FastFetchOptions {
  /** Max sockets per origin (default 256). */
  maxSockets?: number;
  /** Idle keep-alive sockets kept per origin (default 64). */
  maxFreeSockets?: number;
  /** Custom agents (tests, proxies). */
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
}

export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function abortError(signal: AbortSignal | undefined | null): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error && reason.name === 'AbortError') return reason;
  return new DOMException('This operation was aborted', 'AbortError');
}

type SimpleBody = string | Uint8Array | undefined;

function simpleBody(body: RequestInit['body']): SimpleBody | null {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  if (body instanceof URLSearchParams) return body.toString();
  return null; // stream, Blob, FormData: not handled here
}

function headerRecord(
  init: HeadersInit | undefined,
  body: SimpleBody,
  isSearchParams: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (init) {
    if (init instanceof Headers) init.forEach((v, k) => (out[k] = v));
    else if (Array.isArray(init)) for (const [k, v] of init) out[k.toLowerCase()] = v;
    else for (const [k, v] of Object.entries(init)) out[k.toLowerCase()] = v;
  }
  if (body !== undefined && out['content-length'] === undefined)
    out['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  if (typeof body === 'string' && out['content-type'] === undefined) {
    out['content-type'] = isSearchParams
      ? 'application/x-www-form-urlencoded;charset=UTF-8'
      : 'text/plain;charset=UTF-8';
  }
  if (out['accept-encoding'] === undefined) out['accept-encoding'] = 'gzip, deflate, br';
  return out;
}

function toHeaders(raw: string[]): Headers {
  const h = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      h.append(raw[i], raw[i + 1]);
    } catch {
      // an invalid header value from the server is dropped, as fetch would refuse it
    }
  }
  return h;
}

/** A web ReadableStream over a node stream, with back-pressure. */
function webStream(
  src: Readable,
  signal: AbortSignal | undefined | null,
  onAbort: () => void,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        src.on('data', (chunk: Buffer) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 1) <= 0) src.pause();
        });
        src.once('end', () => {
          try {
            controller.close();
          } catch {
            // already errored
          }
        });
        src.once('error', (err: Error) => {
          try {
            controller.error(signal?.aborted ? abortError(signal) : new TypeError('terminated', { cause: err }));
          } catch {
            // already closed
          }
        });
        src.once('close', () => {
          // destroyed without 'end' (socket cut): surface it like undici does
          if (!src.readableEnded) {
            try {
              controller.error(
                signal?.aborted
                  ? abortError(signal)
                  : new TypeError('terminated', { cause: new Error('other side closed') }),
              );
            } catch {
              // already closed
            }
          }
        });
      },
      pull() {
        src.resume();
      },
      cancel() {
        onAbort();
      },
    },
    { highWaterMark: 16 },
  );
}

function decode(res: http.IncomingMessage): Readable {
  const enc = (res.headers['content-encoding'] ?? '').toString().trim().toLowerCase();
  if (enc === 'gzip' || enc === 'x-gzip')
    return res.pipe(
      zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    );
  if (enc === 'deflate')
    return res.pipe(
      zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
    );
  if (enc === 'br') return res.pipe(zlib.createBrotliDecompress());
  return res;
}

/** Create a fetch bound to its own keep-alive agents. */
export function createFastFetch(opts: FastFetchOptions = {}): FetchFn {
  const agentOpts = {
    keepAlive: true,
    maxSockets: opts.maxSockets ?? 256,
    maxFreeSockets: opts.maxFreeSockets ?? 64,
    scheduling: 'lifo' as const,
  };
  const httpAgent = opts.httpAgent ?? new http.Agent(agentOpts);
  const httpsAgent = opts.httpsAgent ?? new https.Agent(agentOpts);

  const once = (
    url: URL,
    method: string,
    headers: Record<string, string>,
    body: SimpleBody,
    signal: AbortSignal | undefined | null,
    retried = false,
  ): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const isHttps = url.protocol === 'https:';
      const req = (isHttps ? https : http).request(url, { method, headers, agent: isHttps ? httpsAgent : httpAgent });
      let settled = false;
      let incoming: http.IncomingMessage | undefined;
      const onAbort = (): void => {
        const err = abortError(signal);
        if (!settled) {
          settled = true;
          reject(err);
        }
        req.destroy(err);
        incoming?.destroy(err);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = (): void => signal?.removeEventListener('abort', onAbort);
      req.once('error', (err: NodeJS.ErrnoException) => {
        cleanup();
        if (!settled) {
          settled = true;
          // A kept-alive socket the server closed while idle fails the next request before
          // any response: send it again once on a fresh socket (as Node's docs advise).
          if (!retried && req.reusedSocket && !signal?.aborted && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) {
            resolve(once(url, method, headers, body, signal, true));
            return;
          }
          reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: err }));
        }
      });
      req.once('response', (res) => {
        incoming = res;
        settled = true;
        const status = res.statusCode ?? 0;
        const headers = toHeaders(res.rawHeaders);
        res.once('close', cleanup);
        let response: Response;
        if (NULL_BODY_STATUS.has(status) || method === 'HEAD') {
          res.resume();
          response = new Response(null, { status, statusText: res.statusMessage ?? '', headers });
        } else {
          const src = decode(res);
          if (src !== res) {
            headers.delete('content-encoding');
            headers.delete('content-length');
            res.once('error', (e) => src.destroy(e));
            res.once('close', () => {
              if (!res.readableEnded) src.destroy(new Error('other side closed'));
            });
          }
          response = new Response(
            webStream(src, signal, () => res.destroy()),
            { status, statusText: res.statusMessage ?? '', headers },
          );
        }
        Object.defineProperty(response, 'url', { value: url.toString() });
        resolve(response);
      });
      if (body !== undefined) req.end(body);
      else req.end();
    });

  return async function fastFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    if (typeof input !== 'string' && !(input instanceof URL)) return fetch(input, init);
    const isSearchParams = init.body instanceof URLSearchParams;
    const body = simpleBody(init.body);
    if (body === null) return fetch(input, init);
    let url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
    let method = (init.method ?? 'GET').toUpperCase();
    let headers = headerRecord(init.headers, body, isSearchParams);
    let currentBody = body;
    const redirect = init.redirect ?? 'follow';
    for (let hop = 0; ; hop++) {
      const res = await once(url, method, headers, currentBody, init.signal);
      if (!REDIRECT_STATUS.has(res.status) || redirect === 'manual') return res;
      const location = res.headers.get('location');
      if (!location) return res;
      await res.body?.cancel();
      if (redirect === 'error') throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') });
      if (hop >= 19) throw new TypeError('fetch failed', { cause: new Error('redirect count exceeded') });
      const next = new URL(location, url);
      if (
        (res.status === 303 && method !== 'HEAD') ||
        ((res.status === 301 || res.status === 302) && method === 'POST')
      ) {
        method = 'GET';
        currentBody = undefined;
        headers = { ...headers };
        delete headers['content-length'];
        delete headers['content-type'];
      }
      if (next.origin !== url.origin) {
        headers = { ...headers };
        delete headers.authorization;
        delete headers.cookie;
      }
      url = next;
    }
  };
}

let shared: FetchFn | undefined;
/** The process-wide fast fetch used for provider clients. */
export function fastFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  shared ??= createFastFetch();
  return shared(input, init);
}
