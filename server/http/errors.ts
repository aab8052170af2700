/**
 * The one error-to-HTTP mapping. Route handlers throw (Express 5 forwards rejected
 * handlers); domain errors (flows, runs, datasets, evaluations, knowledge, deployments)
 * are translated here, in `toHttpError`, and rendered by one middleware as the JSON
 * envelope `{ error: { code, message, details? } }` with the right status. 5xx bodies
 * never carry stack traces or internal messages. A new domain error gets one case here,
 * never a wrapper in its routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { ApiErrorBody } from '../../shared/api/errors';
import { FlowValidationError } from '../../shared/flow/problems';
import { DatasetError } from '../datasets/store';
import { DeploymentError } from '../deployment/errors';
import { CompareError } from '../evaluation/compare';
import { MappingError } from '../evaluation/mapping';
import { EvaluationNotFound } from '../evaluation/service';
import { FlowStoreError } from '../flows/store';
import { RunServiceError } from '../flows/runs';
import { DurableError } from '../durable/service';
import { KnowledgeError } from '../knowledge/types';
import { RunInputError } from '../runtime/types';
import { redact } from '../flows/redact';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers (Retry-After, WWW-Authenticate). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/**
 * A JSON answer through Node's own response API (what Express's `res.json` sends, minus its
 * per-call content-type lookups): usable with an Express response and with the bare one of
 * the deployed endpoints' fast path (server/http/fast-endpoint.ts).
 */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.end(json);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, details?: unknown): void {
  const body: ApiErrorBody = { error: { code, message, ...(details !== undefined ? { details } : {}) } };
  writeJson(res, status, body);
}

/** Paths of run input issues are reported under `inputs.` (e.g. `inputs.question`). */
function inputPath(p: string): string {
  if (p === '' || p === 'inputs') return 'inputs';
  return p.startsWith('inputs.') || p.startsWith('inputs[') ? p : `inputs.${p}`;
}

/** Translate a known error into an HttpError; undefined for unexpected faults. */
export function toHttpError(err: unknown): HttpError | undefined {
  if (err instanceof HttpError) return err;
  if (err instanceof RunInputError) {
    const issues = err.issues.map((i) => ({ path: inputPath(i.path), message: i.message }));
    return new HttpError(
      400,
      'invalid_inputs',
      issues.map((i) => `${i.path}: ${i.message}`).join('; ') || 'invalid inputs',
      { issues },
    );
  }
  if (err instanceof FlowStoreError) {
    switch (err.code) {
      case 'not_found':
        return new HttpError(404, 'not_found', err.message);
      case 'conflict':
        return new HttpError(409, 'etag_mismatch', err.message, err.details);
      case 'exists':
        return new HttpError(409, 'already_exists', err.message);
      case 'invalid_flow':
        return new HttpError(422, 'invalid_flow', err.message, { problems: err.details });
      case 'invalid_id':
        return new HttpError(400, 'invalid_id', err.message);
      case 'malformed_file':
        return new HttpError(422, 'malformed_file', err.message, err.details);
    }
  }
  if (err instanceof DurableError) {
    if (err.code === 'not_found') return new HttpError(404, 'not_found', err.message);
    if (err.code === 'invalid_response') return new HttpError(400, 'invalid_response', err.message, err.details);
    return new HttpError(409, err.code, err.message, err.details);
  }
  if (err instanceof DeploymentError) return new HttpError(err.status, err.code, err.message, err.details, err.headers);
  if (err instanceof KnowledgeError) return new HttpError(err.status, err.code, err.message);
  if (err instanceof DatasetError) {
    if (err.code === 'not_found') return new HttpError(404, 'not_found', err.message);
    if (err.code === 'too_large') return new HttpError(413, 'payload_too_large', err.message);
    if (err.code === 'name_taken') return new HttpError(409, 'name_taken', err.message, err.details);
    return new HttpError(400, err.code, err.message, err.details);
  }
  if (err instanceof MappingError)
    return new HttpError(400, 'invalid_mapping', err.message, { problems: err.problems });
  if (err instanceof EvaluationNotFound) return new HttpError(404, 'not_found', err.message);
  if (err instanceof CompareError) return new HttpError(err.code === 'not_found' ? 404 : 400, err.code, err.message);
  if (err instanceof FlowValidationError)
    return new HttpError(422, 'invalid_flow', err.message, { problems: err.problems });
  if (err instanceof RunServiceError) {
    if (err.code === 'not_found') return new HttpError(404, 'not_found', err.message);
    if (err.code === 'unknown_node') return new HttpError(404, 'unknown_node', err.message);
    return new HttpError(422, 'invalid_flow', err.message, { problems: err.details });
  }
  // body-parser / http-errors shaped errors
  const e = err as { type?: string; status?: number; statusCode?: number; expose?: boolean; message?: string };
  if (e && typeof e === 'object') {
    if (e.type === 'entity.parse.failed')
      return new HttpError(400, 'invalid_json', 'the request body is not valid JSON');
    if (e.type === 'entity.too.large') return new HttpError(413, 'payload_too_large', 'the request body is too large');
    if (e.type === 'encoding.unsupported' || e.type === 'charset.unsupported')
      return new HttpError(415, 'unsupported_media_type', e.message ?? 'unsupported encoding');
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500 && e.expose)
      return new HttpError(status, 'bad_request', e.message ?? 'bad request');
  }
  return undefined;
}

export function errorMiddleware(opts: { logger: Logger; secrets: string[] }): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    sendFailure(err, req, res, opts);
  };
}

/**
 * Answer a request with its error (headers not sent yet): a known error with its status,
 * headers and redacted message; anything else as a logged 500 that names the request id.
 */
export function sendFailure(
  err: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  opts: { logger: Logger; secrets: string[] },
): void {
  const http = toHttpError(err);
  if (http) {
    for (const [k, v] of Object.entries(http.headers ?? {})) res.setHeader(k, v);
    // Refused before its body was read (a bad key on a large upload): do not keep reading it.
    if (http.status === 401 && (req.headers['content-length'] || req.headers['transfer-encoding']) && !req.complete)
      res.setHeader('Connection', 'close');
    sendError(res, http.status, http.code, redact(http.message, opts.secrets), redact(http.details, opts.secrets));
    return;
  }
  const id = String(res.getHeader('x-request-id') ?? '');
  opts.logger.error(
    {
      reqId: id,
      err: redact(err instanceof Error ? { message: err.message, stack: err.stack } : String(err), opts.secrets),
    },
    'unhandled error',
  );
  sendError(res, 500, 'internal', `internal server error (request id ${id || 'unknown'})`);
}

export const notFoundJson: RequestHandler = (req, res) => {
  sendError(res, 404, 'not_found', `no route for ${req.method} ${req.path}`);
};
