import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One structured log line per request: method, path (no query string), status, duration,
 * request id. Never bodies, headers, Authorization or query values. A client that went
 * away before the response was complete is logged as `cancelled` with status 499 (nginx's
 * "client closed request"), at info level: not a server failure.
 */
export function requestLogging(logger: Logger): RequestHandler {
  const logClose = requestLineLogger(logger);
  return (req, res, next) => {
    logClose(req.method, req.path, res, () => res.locals.requestId as string | undefined);
    next();
  };
}

/**
 * The line writer itself, for Express requests and for the deployed endpoints' fast path
 * (server/http/fast-endpoint.ts): call it when the request arrives; it logs when the
 * response closes.
 */
export function requestLineLogger(
  logger: Logger,
): (method: string | undefined, path: string, res: ServerResponse, reqId: () => string | undefined) => void {
  // The line holds none of the logger's redacted paths (no headers, bodies or keys): a child
  // without redaction skips the redactor's work and allocations on every request.
  const log = logger.child({}, { redact: { paths: [] } });
  return (method, path, res, reqId) => {
    const start = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const cancelled = !res.writableFinished;
      const status = cancelled ? 499 : res.statusCode;
      const line = {
        reqId: reqId(),
        method,
        path: path.slice(0, 512),
        status,
        ms: Math.round(ms * 10) / 10,
        ...(cancelled ? { cancelled: true, ...(res.headersSent ? { sentStatus: res.statusCode } : {}) } : {}),
      };
      if (status >= 500) log.error(line, 'request');
      else log.info(line, 'request');
    });
  };
}
