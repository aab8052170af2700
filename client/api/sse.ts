import type { RunEvent } from '../../shared/runtime/events';
import type { RunRequest } from '../../shared/api/runs';
import { ApiError } from './http';

/** Parse a text/event-stream body into `{ event, data }` messages (spec subset: event, data, comments). */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let event = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
        } else if (line.startsWith(':')) {
          continue;
        } else {
          const idx = line.indexOf(':');
          const field = idx < 0 ? line : line.slice(0, idx);
          const val = idx < 0 ? '' : line.slice(idx + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
      }
    }
    if (data.length) yield { event: event || 'message', data: data.join('\n') };
  } finally {
    reader.releaseLock();
  }
}

/**
 * Start a run and stream its events. Resolves when the stream ends. Aborting the signal
 * closes the connection (the server cancels the run when its client disconnects).
 */
export async function streamRun(
  flowId: string,
  inputs: Record<string, unknown>,
  onEvent: (e: RunEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`/api/flows/${encodeURIComponent(flowId)}/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
      body: JSON.stringify({ inputs } satisfies RunRequest),
      signal,
    });
  } catch (err) {
    if (signal.aborted) return;
    throw new ApiError(0, 'network', `Cannot reach the Braid server (${(err as Error).message})`);
  }
  if (!res.ok || !res.body) {
    let message = `${res.status} ${res.statusText}`;
    let code = `http_${res.status}`;
    let details: unknown;
    try {
      const body = (await res.json()) as { error?: { code: string; message: string; details?: unknown } };
      if (body.error) ({ code, message, details } = body.error);
    } catch {
      /* not JSON */
    }
    throw new ApiError(res.status, code, message, details);
  }
  try {
    for await (const msg of readSse(res.body)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(msg.data);
      } catch {
        continue;
      }
      if (msg.event === 'error' && parsed && typeof parsed === 'object') {
        const e = (parsed as { error?: { code?: string; message?: string; details?: unknown } }).error;
        throw new ApiError(500, e?.code ?? 'run_error', e?.message ?? 'the run failed', e?.details);
      }
      if (msg.event === 'result') continue;
      if (parsed && typeof parsed === 'object') {
        const ev = parsed as RunEvent;
        if (!('type' in ev) || !ev.type) (ev as { type: string }).type = msg.event;
        onEvent(ev);
      }
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  }
}
