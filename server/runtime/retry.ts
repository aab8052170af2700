/**
 * Retry policy: exponential backoff with full jitter, honouring a provider's Retry-After
 * up to a cap, and waits that end early when the run is cancelled.
 */
import { NodeError } from './types';

export interface RetryPolicy {
  /** Extra attempts after the first. */
  max: number;
  /** Base delay of the exponential backoff, in ms. */
  baseMs: number;
}

/** Used when a node sets no `retry` (same as the flow schema's defaults). */
export const DEFAULT_RETRY: RetryPolicy = { max: 2, baseMs: 500 };
/** The longest backoff step, before jitter. */
export const MAX_BACKOFF_MS = 30_000;
/** The longest Retry-After we wait for; a provider asking for more fails the node instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Delay before retry number `retry` (1 for the first retry) of an error, or `null` when the
 * error must not be retried (not retryable, attempts used up, or Retry-After beyond the cap).
 */
export function retryDelay(
  err: NodeError,
  retry: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | null {
  if (!err.retryable || retry > policy.max) return null;
  if (err.retryAfterMs !== undefined && Number.isFinite(err.retryAfterMs) && err.retryAfterMs >= 0) {
    return err.retryAfterMs <= MAX_RETRY_AFTER_MS ? Math.ceil(err.retryAfterMs) : null;
  }
  const ceiling = Math.min(MAX_BACKOFF_MS, policy.baseMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling); // full jitter
}

/** Wait `ms`, or reject with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
