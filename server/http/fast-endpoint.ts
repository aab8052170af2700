/**
 * The deployed endpoints' hot path, in front of Express: a plain JSON call of
 * `POST /v1/endpoints/:slug` is served from Node's own request and response.
 *
 * Why: Express re-parents every request and response object (`setPrototypeOf` onto its
 * own request/response prototypes), walks its router and runs body-parser; measured on the
 * bench machine that is ~100–170 µs of CPU per call before any of Braid's work, about an
 * eighth of a deployed call (bench/RESULTS.md, "Endpoint hot path"). The call itself is the
 * same code as the Express route (`endpointCalls` in routes/endpoints.ts): key, deployment,
 * rate limit, body limit, inputs, run, request log, metrics.
 *
 * Only the common shape takes this path, decided from the request line and headers before
 * anything is read or answered: `POST /v1/endpoints/<slug>` without a query string, a
 * `Content-Type` of `application/json` (charset utf-8 or none), a `Content-Length` and no
 * `Transfer-Encoding` or `Content-Encoding`, no `Origin` (CORS), no `Accept:
 * text/event-stream`, and a client address that failed-auth throttling has not blocked or is
 * still counting. Everything else goes to Express unchanged. What Express's request
 * middlewares do for a `/v1` path is done here the same way (request id, the request log
 * line, failed-auth counting; the path and host checks have nothing to refuse on this
 * URL shape), and errors are answered by the same mapping (`sendFailure`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AppContext } from './context';
import { DeploymentError } from '../deployment/errors';
import { sendFailure } from './errors';
import { clientKey, type AuthThrottle } from './middleware/auth-throttle';
import { bodyProblem } from './middleware/json';
import { requestLineLogger } from './middleware/logging';
import { assignRequestId } from './middleware/request-id';
import { endpointCalls } from './routes/endpoints';

/** A deployment slug (shared/api/deployment.ts), nothing after it. */
const CALL_URL = /^\/v1\/endpoints\/([a-z0-9][a-z0-9_-]{0,63})$/;
const JSON_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset="?utf-8"?[ \t]*)?$/i;
const LENGTH = /^[1-9][0-9]{0,9}$/;

/** The request listener's first look: true when it took the request, false to pass it on to Express. */
export type FastHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export function fastEndpoint(
  ctx: AppContext,
  opts: { logger: Logger; secrets: string[]; throttle: AuthThrottle },
): FastHandler {
  const { call } = endpointCalls(ctx);
  const logLine = requestLineLogger(opts.logger);
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const m = CALL_URL.exec(req.url ?? '');
    if (!m) return false;
    const h = req.headers;
    if (h.origin !== undefined || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined)
      return false;
    if (h.accept !== undefined && h.accept.toLowerCase().includes('text/event-stream')) return false;
    const type = h['content-type'];
    const length = h['content-length'];
    if (type === undefined || !JSON_TYPE.test(type) || length === undefined || !LENGTH.test(length)) return false;
    const client = clientKey(req.socket.remoteAddress);
    if (!opts.throttle.clear(client)) return false;

    const id = assignRequestId(req, res);
    logLine(req.method, m[0], res, () => id);
    opts.throttle.watch(client, res);
    call(req, res, m[1] as string, undefined, (limit) => readJson(req, res, Number(length), limit)).catch(
      (err: unknown) => {
        try {
          // After a partial answer (an SSE stream) there is nothing left to say: cut it, as Express does.
          if (res.headersSent) res.destroy();
          else sendFailure(err, req, res, opts);
        } catch {
          // Not even the error could be sent: drop the connection, never the process.
          res.destroy();
        }
      },
    );
    return true;
  };
}

/**
 * The JSON body of a fast-path call, with the same answers as the Express route's parser
 * (`jsonBody` in middleware/json.ts): 413 over the deployment's limit (before reading,
 * connection closed), 400 `invalid_json` for anything but a JSON object or array, 400
 * `too_deep` and `forbidden_key` for bodies downstream code must not see (`bodyProblem`).
 */
export function readJson(req: IncomingMessage, res: ServerResponse, declared: number, limit: number): Promise<unknown> {
  if (declared > limit) {
    res.setHeader('Connection', 'close');
    return Promise.reject(new DeploymentError(413, 'payload_too_large', 'the request body is too large'));
  }
  // The client went away while the key and rate limit were checked: its request is already
  // destroyed and will emit nothing more (Express's parser answers this 400 too).
  if (req.destroyed) return Promise.reject(new DeploymentError(400, 'bad_request', 'request aborted'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined); // answered by 'close' below
    req.on('close', () => {
      if (!ended) reject(new DeploymentError(400, 'bad_request', 'request aborted'));
    });
    req.on('end', () => {
      ended = true;
      try {
        resolve(parseStrictJson(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
      } catch (err) {
        reject(err);
      }
    });
  });
}

function parseStrictJson(bytes: Buffer): unknown {
  let text = bytes.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  let value: unknown;
  try {
    if (first !== '{' && first !== '[') throw new SyntaxError('not an object or array');
    value = JSON.parse(text);
  } catch {
    throw new DeploymentError(400, 'invalid_json', 'the request body is not valid JSON');
  }
  const problem = bodyProblem(value);
  if (problem) throw new DeploymentError(problem.status, problem.code, problem.message);
  return value;
}
