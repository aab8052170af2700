/**
 * The http tool: a templated request sent through the SSRF guard (server/net/guarded-fetch.ts).
 *
 * Rendering: in the URL, `{{value}}` is URL-encoded (so a value cannot change the
 * URL's host or path structure; `{{{value}}}` inserts it raw, still behind the guard);
 * in a JSON body, `{{value}}` of a string is JSON-string escaped (`{"q": "{{q}}"}` stays
 * valid JSON) and other values are written as JSON; header values may not contain line
 * breaks. Outputs: `body` (parsed JSON, text, or `{ contentType, base64 }` for binary
 * types under `responseType: "auto"`), `status`, `headers`.
 *
 * Retries: the scheduler retries retryable errors within the node's `retry` budget. GET and
 * HEAD are retryable on 5xx, 429, timeouts and transport errors; POST, PUT, PATCH and DELETE
 * only when the node sets `retryUnsafe: true` or the request never reached the target
 * (connection refused, DNS), since the target may have acted on a request whose answer was lost.
 *
 * Secrets never reach the trace: span meta shows the URL with credential-like query
 * values redacted and request headers with Authorization / Cookie / API-key headers
 * redacted.
 */
import type { HttpToolConfig } from '../../../shared/nodes/tool';
import { renderTemplate, stringifyValue } from '../../../shared/template';
import { NodeError, type Executor } from '../types';
import { guardedFetch, type GuardedFetchInit } from '../../net/guarded-fetch';
import { parseRetryAfter } from '../../llm/errors';

export interface HttpToolOptions {
  /** Replace the resolver (tests). */
  resolver?: GuardedFetchInit['resolver'];
}

const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api-key|x-auth-token|x-access-token)$|token|secret|password|api[-_]?key/i;
const SENSITIVE_PARAM = /key|token|secret|password|passwd|signature|sig|auth|credential|session/i;

/** Header map with credential headers replaced by "[redacted]". */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, SENSITIVE_HEADER.test(k) ? '[redacted]' : v]));
}

/** URL with user info and credential-like query values replaced by "[redacted]". */
export function redactUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return '[invalid url]';
  }
  if (u.username) u.username = 'redacted';
  if (u.password) u.password = 'redacted';
  for (const k of [...new Set(u.searchParams.keys())]) {
    if (SENSITIVE_PARAM.test(k)) u.searchParams.set(k, '[redacted]');
  }
  return u.toString();
}

/** Headers that frame the request; letting a flow set them invites request smuggling. */
const FRAMING_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
]);

const urlEscape = (v: unknown): string => encodeURIComponent(stringifyValue(v));
const jsonEscape = (v: unknown): string =>
  typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : v === undefined ? 'null' : JSON.stringify(v);

function isJsonType(contentType: string | undefined): boolean {
  return !!contentType && /(^|\/|\+)json\b/i.test(contentType.split(';')[0].trim());
}

/** Content types `auto` returns as `{ contentType, base64 }` instead of garbled text. */
function isBinaryType(contentType: string | undefined): boolean {
  const t = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return (
    /^(image|audio|video|font)\//.test(t) ||
    t === 'application/octet-stream' ||
    t === 'application/pdf' ||
    t === 'application/zip'
  );
}

function looksLikeJson(text: string): boolean {
  const t = text.trim();
  return (t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'));
}

/** Socket errors raised before a request could reach its target. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL']);

/**
 * The error of an unsafe request (POST…) without its `retryable` flag, unless the request
 * certainly never reached the target.
 */
function onceOnly(err: unknown): unknown {
  if (!(err instanceof NodeError) || !err.retryable) return err;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && NEVER_SENT.has(code)) return err;
  return new NodeError(err.code, err.message, { retryable: false, cause: err.cause ?? err });
}

/** Build the http tool executor (options for tests). */
export function createHttpToolExecutor(opts: HttpToolOptions = {}): Executor<HttpToolConfig> {
  return async function httpToolExecutor(ctx) {
    const { config, inputs } = ctx;
    const render = (tpl: string, path: string, escape?: (v: unknown) => string): string => {
      try {
        return renderTemplate(tpl, inputs, escape);
      } catch (err) {
        throw new NodeError('template_error', `${path}: ${(err as Error).message}`, { path });
      }
    };
    const url = render(config.url, 'config.url', urlEscape).trim();

    const headers: Record<string, string> = {};
    for (const [kt, vt] of Object.entries(config.headers)) {
      const k = render(kt, `config.headers.${kt}`).trim().toLowerCase();
      const v = render(vt, `config.headers.${kt}`);
      if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(k))
        throw new NodeError('invalid_input', `header name ${JSON.stringify(k)} is not a valid HTTP header name`, {
          path: `config.headers.${kt}`,
        });
      if (/[\r\n\0]/.test(v))
        throw new NodeError('invalid_input', `header ${k} contains a line break after rendering`, {
          path: `config.headers.${kt}`,
        });
      if (FRAMING_HEADERS.has(k))
        throw new NodeError('invalid_input', `header ${k} is set by Braid and cannot be configured`, {
          path: `config.headers.${kt}`,
        });
      headers[k] = v;
    }
    headers['user-agent'] ??= 'Braid-http-tool/1';

    let body: string | undefined;
    if (config.body !== undefined && config.body !== '' && config.method !== 'GET' && config.method !== 'HEAD') {
      const declared = headers['content-type'];
      const json = isJsonType(declared) || (!declared && looksLikeJson(config.body));
      body = render(config.body, 'config.body', json ? jsonEscape : undefined);
      if (!declared) headers['content-type'] = json ? 'application/json' : 'text/plain; charset=utf-8';
    }

    const started = Date.now();
    const retrySafe = config.method === 'GET' || config.method === 'HEAD' || config.retryUnsafe;
    const res = await guardedFetch(url, {
      method: config.method,
      headers,
      body,
      signal: ctx.signal,
      timeoutMs: config.timeoutMs,
      maxBytes: config.maxBytes,
      allowHosts: ctx.services.config.httpAllowHosts,
      resolver: opts.resolver,
    }).catch((err: unknown) => {
      throw retrySafe ? err : onceOnly(err);
    });
    ctx.setMeta({
      http: {
        method: config.method,
        url: redactUrl(url),
        ...(res.redirects.length > 0 ? { finalUrl: redactUrl(res.url), redirects: res.redirects.length } : {}),
        requestHeaders: redactHeaders(headers),
        status: res.status,
        bytes: res.body.length,
        ms: Date.now() - started,
      },
    });

    if (config.failOnHttpError && res.status >= 400) {
      const snippet = res.text().slice(0, 300).replace(/\s+/g, ' ').trim();
      const retryable = retrySafe && (res.status === 429 || res.status >= 500);
      throw new NodeError(
        'http_error',
        `HTTP ${res.status} ${res.statusText} from ${new URL(res.url).origin}${snippet ? `: ${snippet}` : ''}`,
        {
          retryable,
          retryAfterMs: retryable ? parseRetryAfter(res.headers) : undefined,
        },
      );
    }

    let out: unknown;
    if (config.method === 'HEAD' || res.body.length === 0) out = config.responseType === 'json' ? null : '';
    else if (config.responseType === 'text') out = res.text();
    else {
      const wantJson = config.responseType === 'json' || isJsonType(res.headers['content-type']);
      if (wantJson) {
        try {
          out = res.json();
        } catch (err) {
          if (config.responseType === 'json') {
            throw new NodeError(
              'invalid_response',
              `the response from ${new URL(res.url).origin} is not valid JSON: ${(err as Error).message}`,
            );
          }
          out = res.text();
        }
      } else if (isBinaryType(res.headers['content-type'])) {
        out = { contentType: res.headers['content-type'], base64: res.body.toString('base64') };
      } else out = res.text();
    }
    return { outputs: { body: out, status: res.status, headers: res.headers } };
  };
}

export const httpToolExecutor: Executor<HttpToolConfig> = createHttpToolExecutor();
