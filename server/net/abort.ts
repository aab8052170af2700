/** Racing a promise against an AbortSignal (the guarded fetch's DNS vetting, a model stream's next chunk). */

/**
 * `p`, or a rejection with the signal's reason as soon as it aborts. A late rejection of `p`
 * after the abort is silenced (nobody awaits it any more); a non-Error rejection is wrapped.
 */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      p.catch(() => undefined);
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** The signal's reason as an Error (an `AbortError` DOMException is one). */
export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new Error('Aborted');
}
