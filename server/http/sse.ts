/**
 * Server-sent events: `event: <type>` + `data: <json>` frames, a heartbeat comment, and
 * an AbortSignal that fires when the client goes away before the stream ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface SseStream {
  send(event: string, data: unknown): void;
  /** End the stream normally. */
  end(): void;
  /** Aborted when the client disconnects before `end()`. */
  signal: AbortSignal;
  readonly closed: boolean;
}

export function openSse(req: IncomingMessage, res: ServerResponse, opts: { heartbeatMs?: number } = {}): SseStream {
  const controller = new AbortController();
  let closed = false;
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  res.write(': stream open\n\n');
  const heartbeat = setInterval(() => {
    if (!closed) res.write(': ping\n\n');
  }, opts.heartbeatMs ?? 15_000);
  heartbeat.unref();
  const onClose = () => {
    clearInterval(heartbeat);
    if (!closed) {
      closed = true;
      controller.abort(new Error('client disconnected'));
    }
  };
  res.on('close', onClose);
  return {
    signal: controller.signal,
    get closed() {
      return closed;
    },
    send(event, data) {
      if (closed) return;
      const json = JSON.stringify(data) ?? 'null';
      res.write(`event: ${event.replace(/[\r\n]/g, '')}\ndata: ${json}\n\n`);
    },
    end() {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      res.end();
    },
  };
}
