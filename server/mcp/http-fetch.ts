/**
 * A streaming `fetch` for the MCP SDK's Streamable HTTP transport that goes through the
 * SSRF guard: every request's URL is vetted like the http tool's (server/net/guarded-fetch.ts:
 * http(s) only, every resolved address public unless the host is in BRAID_HTTP_ALLOW_HOSTS)
 * and the socket is pinned to the vetted address. Unlike guardedFetch it hands the body
 * over as a stream (MCP answers with server-sent events) and follows no redirects.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { isIpLiteral } from '../net/address-policy';
import { pinnedLookup, systemResolver, vet, type Resolver } from '../net/guarded-fetch';

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  new Headers(h).forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

async function bodyBytes(body: RequestInit['body']): Promise<Buffer | undefined> {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  return Buffer.from(await new Response(body).arrayBuffer());
}

export function guardedStreamFetch(opts: { allowHosts: readonly string[]; resolver?: Resolver }): FetchLike {
  const resolver = opts.resolver ?? systemResolver;
  return async (input, init = {}) => {
    const url = new URL(String(input));
    const pin = await vet(url, opts.allowHosts, resolver);
    const body = await bodyBytes(init.body);
    const headers = headerRecord(init.headers);
    if (body) headers['content-length'] = String(body.byteLength);
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const isHttps = url.protocol === 'https:';
      const req = (isHttps ? https : http).request(url, {
        method: init.method ?? 'GET',
        headers,
        agent: false,
        ...(pin ? { lookup: pinnedLookup(pin) } : {}),
        ...(isHttps && !isIpLiteral(url.hostname) ? { servername: url.hostname } : {}),
      });
      const onAbort = (): void => {
        req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      });
      req.once('response', (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) {
          if (v === undefined) continue;
          for (const one of Array.isArray(v) ? v : [v]) h.append(k, one);
        }
        const status = res.statusCode ?? 500;
        const noBody = status === 204 || status === 304 || (init.method ?? 'GET').toUpperCase() === 'HEAD';
        res.once('close', () => signal?.removeEventListener('abort', onAbort));
        if (noBody) res.resume();
        resolve(
          new Response(noBody ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>), {
            status,
            statusText: res.statusMessage ?? '',
            headers: h,
          }),
        );
      });
      req.end(body);
    });
  };
}
