import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/**
 * One structured log line per request: method, path (no query string), status, duration,
 * request id. Never bodies, headers, Authorization or query values.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const status = res.headersSent ? res.statusCode : 0;
      const line = {
        reqId: res.locals.requestId as string | undefined,
        method: req.method,
        path: req.path.slice(0, 512),
        status,
        ms: Math.round(ms * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      if (status >= 500) logger.error(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
