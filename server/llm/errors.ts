/**
 * Provider errors (OpenAI, Anthropic and Ollama SDKs, LangChain wrappers, network
 * failures) mapped to NodeError with a stable code and the retry decision the scheduler
 * acts on:
 *
 * | code                   | when                                      | retryable |
 * | ---------------------- | ----------------------------------------- | --------- |
 * | `rate_limited`         | 429 (retryAfterMs from Retry-After)       | yes       |
 * | `quota_exceeded`       | `insufficient_quota` (any status)         | no        |
 * | `provider_error`       | 5xx, 408, 409                             | yes       |
 * | `provider_unavailable` | connection refused/reset, DNS             | yes       |
 * | `stream_interrupted`   | the response was cut mid-body             | yes       |
 * | `provider_timeout`     | the SDK's own request timeout             | yes       |
 * | `provider_auth`        | 401, 403                                  | no        |
 * | `model_not_found`      | 404                                       | no        |
 * | `provider_bad_request` | other 4xx (e.g. context length exceeded)  | no        |
 * | `cancelled`            | the node's signal was aborted             | no        |
 * | `llm_error`            | anything else                             | no        |
 *
 * Messages never contain API keys: the configured secrets and anything shaped like a key
 * are redacted.
 */
import { NodeError } from '../runtime/types';

export interface ProviderErrorContext {
  /** `openai`, `anthropic`, `ollama`: named in messages. */
  provider?: string;
  /** The node's signal: when aborted, any failure is a cancellation. */
  signal?: AbortSignal;
  /** Values to scrub from messages (the configured API keys). */
  secrets?: Array<string | undefined>;
  /** Base URL, for connection errors ("cannot reach …"). */
  baseUrl?: string;
  /** Env var to mention when the server cannot be reached, e.g. OLLAMA_BASE_URL. */
  baseUrlEnv?: string;
}

const KEY_PATTERN =
  /\b(sk-[A-Za-z0-9_*-]{6,}|sk-ant-[A-Za-z0-9_*-]{6,}|key-[A-Za-z0-9]{16,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g;

/** Remove API keys (configured or key-shaped) from a message. */
export function redactSecrets(text: string, secrets: Array<string | undefined> = []): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(KEY_PATTERN, '[redacted]');
}

type HeaderSource = Headers | Record<string, unknown> | undefined | null;

function header(h: HeaderSource, name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as Headers).get === 'function') return (h as Headers).get(name) ?? undefined;
  const rec = h as Record<string, unknown>;
  for (const [k, v] of Object.entries(rec))
    if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v == null ? undefined : String(v);
  return undefined;
}

/**
 * Milliseconds to wait from `retry-after-ms` (ms) or `Retry-After` (seconds or an HTTP
 * date). Undefined when absent or unparseable.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  }
  const ra = header(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.ceil(secs * 1000) : undefined;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

interface ErrorShape {
  name?: string;
  message?: string;
  status?: number;
  status_code?: number;
  code?: unknown;
  type?: unknown;
  headers?: HeaderSource;
  error?: unknown;
  cause?: unknown;
  response?: { status?: number; headers?: HeaderSource };
  lc_error_code?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function chain(err: unknown): ErrorShape[] {
  const out: ErrorShape[] = [];
  let e: unknown = err;
  for (let i = 0; i < 6 && e && typeof e === 'object'; i++) {
    out.push(e as ErrorShape);
    e = (e as ErrorShape).cause;
  }
  return out;
}

function providerCode(e: ErrorShape): string | undefined {
  const candidates: unknown[] = [e.code, e.type];
  const inner = e.error as { code?: unknown; type?: unknown; error?: { code?: unknown; type?: unknown } } | undefined;
  if (inner && typeof inner === 'object') candidates.push(inner.code, inner.type, inner.error?.code, inner.error?.type);
  for (const c of candidates) if (typeof c === 'string' && c) return c;
  return undefined;
}

function statusOf(e: ErrorShape): number | undefined {
  const s = e.status ?? e.status_code ?? e.response?.status;
  return typeof s === 'number' && s >= 100 && s < 600 ? s : undefined;
}

/** SDK error classes keep `name: 'Error'`; their class name tells them apart. */
function is(e: ErrorShape, name: string): boolean {
  return e.name === name || (e as { constructor?: { name?: string } }).constructor?.name === name;
}

function isAbort(e: ErrorShape): boolean {
  return (
    is(e, 'AbortError') ||
    is(e, 'APIUserAbortError') ||
    e.message === 'AbortError' ||
    e.message === 'Request was aborted.'
  );
}

/** Map any provider failure to a NodeError (pass-through for NodeError). */
export function toProviderNodeError(err: unknown, ctx: ProviderErrorContext = {}): NodeError {
  if (err instanceof NodeError) return err;
  const provider = ctx.provider ?? 'provider';
  const links = chain(err);
  const top: ErrorShape = links[0] ?? { message: String(err) };
  const clean = (m: string): string => redactSecrets(m, ctx.secrets).slice(0, 1000);
  const raw = clean(top.message ?? String(err));
  const opts = { cause: err };

  if (ctx.signal?.aborted || links.some(isAbort)) {
    return new NodeError('cancelled', `${provider} call cancelled`, { ...opts, retryable: false });
  }

  const withStatus = links.find((l) => statusOf(l) !== undefined);
  const status = withStatus ? statusOf(withStatus) : undefined;
  const code = links.map(providerCode).find((c) => c !== undefined);

  if (code === 'insufficient_quota') {
    return new NodeError('quota_exceeded', `${provider} quota exceeded (insufficient_quota): ${raw}`, {
      ...opts,
      retryable: false,
    });
  }
  if (status !== undefined) {
    const headers = withStatus?.headers ?? withStatus?.response?.headers;
    if (status === 429) {
      const retryAfterMs = parseRetryAfter(headers);
      const wait = retryAfterMs !== undefined ? ` (retry after ${retryAfterMs} ms)` : '';
      return new NodeError('rate_limited', `${provider} rate limit (HTTP 429)${wait}: ${raw}`, {
        ...opts,
        retryable: true,
        retryAfterMs,
      });
    }
    if (status >= 500 || status === 408 || status === 409) {
      return new NodeError('provider_error', `${provider} server error (HTTP ${status}): ${raw}`, {
        ...opts,
        retryable: true,
        retryAfterMs: parseRetryAfter(headers),
      });
    }
    if (status === 401 || status === 403) {
      return new NodeError('provider_auth', `${provider} rejected the credentials (HTTP ${status}): ${raw}`, {
        ...opts,
        retryable: false,
      });
    }
    if (status === 404)
      return new NodeError('model_not_found', `${provider} model or endpoint not found (HTTP 404): ${raw}`, {
        ...opts,
        retryable: false,
      });
    return new NodeError('provider_bad_request', `${provider} refused the request (HTTP ${status}): ${raw}`, {
      ...opts,
      retryable: false,
    });
  }

  if (links.some((l) => is(l, 'APIConnectionTimeoutError') || is(l, 'TimeoutError'))) {
    return new NodeError('provider_timeout', `${provider} request timed out: ${raw}`, { ...opts, retryable: true });
  }
  if (links.some((l) => l.name === 'TypeError' && l.message === 'terminated')) {
    const why =
      links.map((l) => (typeof l.code === 'string' ? l.code : undefined)).find((c) => c !== undefined) ??
      'connection closed';
    return new NodeError('stream_interrupted', `the connection to ${provider} was cut mid-response (${why})`, {
      ...opts,
      retryable: true,
    });
  }
  const netCode = links
    .map((l) => (typeof l.code === 'string' ? l.code : undefined))
    .find((c) => c !== undefined && NETWORK_CODES.has(c));
  const isNetwork =
    netCode !== undefined ||
    links.some(
      (l) =>
        is(l, 'APIConnectionError') ||
        (l.name === 'TypeError' && /fetch failed|terminated|network/i.test(l.message ?? '')),
    );
  if (isNetwork) {
    const where = ctx.baseUrl ? ` at ${ctx.baseUrl}` : '';
    const hint = ctx.baseUrlEnv ? ` (check ${ctx.baseUrlEnv})` : '';
    const detail = netCode ?? clean(links[links.length - 1]?.message ?? raw);
    return new NodeError('provider_unavailable', `cannot reach ${provider}${where}: ${detail}${hint}`, {
      ...opts,
      retryable: true,
    });
  }
  return new NodeError('llm_error', `${provider} call failed: ${raw}`, { ...opts, retryable: false });
}
