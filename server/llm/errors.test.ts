import { describe, it, expect } from 'vitest';
import OpenAI, { APIError } from 'openai';
import { toProviderNodeError, parseRetryAfter, redactSecrets } from './errors';
import { NodeError } from '../runtime/types';

const apiError = (status: number, headers: Record<string, string> = {}, body: Record<string, unknown> = {}): APIError =>
  OpenAI.APIError.generate(status, { error: body }, 'failed', new Headers(headers));

describe('parseRetryAfter', () => {
  it('reads seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': '7' }), now)).toBe(7000);
    expect(parseRetryAfter(new Headers({ 'retry-after': '0.5' }), now)).toBe(500);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:09 GMT' }), now)).toBe(9000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 23:00:00 GMT' }), now)).toBe(0);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1234', 'retry-after': '9' }), now)).toBe(1234);
    expect(parseRetryAfter({ 'Retry-After': '2' }, now)).toBe(2000);
    expect(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('toProviderNodeError', () => {
  it('maps statuses to codes and retry decisions', () => {
    const cases: Array<[APIError, string, boolean]> = [
      [apiError(429, { 'retry-after': '3' }), 'rate_limited', true],
      [apiError(500), 'provider_error', true],
      [apiError(503), 'provider_error', true],
      [apiError(400, {}, { message: 'context_length_exceeded' }), 'provider_bad_request', false],
      [apiError(401), 'provider_auth', false],
      [apiError(403), 'provider_auth', false],
      [apiError(404), 'model_not_found', false],
      [apiError(429, {}, { code: 'insufficient_quota', type: 'insufficient_quota' }), 'quota_exceeded', false],
    ];
    for (const [err, code, retryable] of cases) {
      const ne = toProviderNodeError(err, { provider: 'openai' });
      expect(ne, `${err.status}`).toBeInstanceOf(NodeError);
      expect(ne.code).toBe(code);
      expect(ne.retryable).toBe(retryable);
    }
    expect(toProviderNodeError(apiError(429, { 'retry-after': '3' })).retryAfterMs).toBe(3000);
  });

  it('maps network failures, timeouts and aborts', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    });
    const n = toProviderNodeError(new OpenAI.APIConnectionError({ cause: refused }), {
      provider: 'ollama',
      baseUrl: 'http://127.0.0.1:1',
      baseUrlEnv: 'OLLAMA_BASE_URL',
    });
    expect(n).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(n.message).toBe('cannot reach ollama at http://127.0.0.1:1: ECONNREFUSED (check OLLAMA_BASE_URL)');
    expect(toProviderNodeError(new OpenAI.APIConnectionTimeoutError()).code).toBe('provider_timeout');
    expect(
      toProviderNodeError(new TypeError('terminated', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))
        .code,
    ).toBe('stream_interrupted');
    expect(toProviderNodeError(new OpenAI.APIUserAbortError()).code).toBe('cancelled');
    const ac = new AbortController();
    ac.abort();
    expect(toProviderNodeError(apiError(500), { signal: ac.signal }).code).toBe('cancelled');
    expect(toProviderNodeError(new Error('weird')).code).toBe('llm_error');
    const own = new NodeError('x', 'y');
    expect(toProviderNodeError(own)).toBe(own);
  });

  it('never repeats an API key', () => {
    const key = 'sk-proj-abcdefghijklmnop1234';
    const e = toProviderNodeError(apiError(401, {}, { message: `Incorrect API key provided: ${key}` }), {
      secrets: [key],
    });
    expect(e.message).not.toContain(key);
    expect(redactSecrets('key sk-ant-api03-XYZXYZXYZ and Bearer abcdefghijkl')).toBe('key [redacted] and [redacted]');
    expect(redactSecrets('my custom secret value', ['custom secret'])).toBe('my [redacted] value');
  });
});
