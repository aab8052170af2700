/**
 * Compressed builder API responses: JSON under /api above 1 KiB goes out as brotli or gzip,
 * whichever the client's Accept-Encoding prefers (traces, flow lists and evaluation rows are
 * large and compress ~10×). Never a server-sent event stream: a compressor buffers its
 * output, and every run event must reach the browser when it happens. Deployed endpoints
 * (/v1/…) are left alone — small bodies, and throughput there matters more than bytes — and
 * static assets are precompressed on disk (server/http/static.ts).
 */
import compression from 'compression';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { isApiPath } from './path';

/** Bodies below this many bytes are sent as they are (compressing them saves nothing). */
export const COMPRESS_THRESHOLD_BYTES = 1024;

function isEventStream(res: Response): boolean {
  return /^\s*text\/event-stream/i.test(String(res.getHeader('Content-Type') ?? ''));
}

export function apiCompression(): RequestHandler {
  const compress = compression({
    threshold: COMPRESS_THRESHOLD_BYTES,
    // SSE already says `Cache-Control: no-transform`, which the module honours; the
    // content-type check keeps it so for any stream that forgets the header.
    filter: (req, res) => !isEventStream(res) && compression.filter(req, res),
  });
  return (req: Request, res: Response, next: NextFunction) => (isApiPath(req.path) ? compress(req, res, next) : next());
}
