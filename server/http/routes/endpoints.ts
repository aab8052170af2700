/**
 * Deployed endpoints (not behind the admin token; deployment API keys instead):
 *   POST /v1/endpoints/:slug            run the live version (`?version=N` pins one); JSON or SSE
 *   GET  /v1/endpoints/:slug/openapi.json
 *   POST /v1/endpoints/:slug/feedback   { traceId, score, comment? }
 *   OPTIONS …                            CORS preflight against the deployment's allow-list
 * Order per call: key (401/403) → deployment (404) → CORS (403) → rate limit (429) → body
 * (413) → inputs (400) → run. The key comes before the deployment lookup, so a caller
 * without a valid key gets the same 401 whether or not the slug exists, and a valid key of
 * another deployment the same 403: slugs cannot be enumerated.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { chatShape, replyText } from '../../deployment/chat';
import { SESSION_ID, type ChatMessage } from '../../deployment/conversations';
import { DeploymentError } from '../../deployment/errors';
import { buildOpenApi } from '../../deployment/openapi';
import { redactPiiText } from '../../deployment/redact-pii';
import { deploymentRuntime } from '../../deployment/runtime';
import type { DeploymentRecord, KeyRecord } from '../../deployment/store';
import { jsonBody } from '../middleware/json';
import { createRouter, type AppContext, type RouteModule } from '../context';
import { toHttpError, writeJson } from '../errors';
import { openSse, type SseStream } from '../sse';
import { publicRunFailure } from '../../deployment/public-errors';
import { canPause } from '../../durable/journal';
import { RunInputError } from '../../runtime/types';
import { randomUUID } from 'node:crypto';
import type { Target } from '../../deployment/endpoint';
import { publicRunState } from '../../durable/webhooks';
import { webhookUrlProblem } from '../../../shared/api/deployment';

/**
 * Run an async handler and forward its failure to the app's error middleware, which maps
 * every domain error, DeploymentError included (status, headers), in server/http/errors.ts.
 */
export function handle(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

const parsers = new Map<number, RequestHandler[]>();

/** Parse the JSON body with a per-deployment size limit (413 above it). */
export function parseBody(req: Request, res: Response, limitBytes: number): Promise<unknown> {
  let chain = parsers.get(limitBytes);
  if (!chain) {
    chain = jsonBody(`${limitBytes}b`);
    parsers.set(limitBytes, chain);
  }
  const steps = chain;
  return new Promise((resolve, reject) => {
    let i = 0;
    const next = (err?: unknown): void => {
      if (err) {
        const http = toHttpError(err);
        reject(http ? new DeploymentError(http.status, http.code, http.message, http.details) : err);
        return;
      }
      const h = steps[i++];
      if (!h) {
        resolve(req.body);
        return;
      }
      h(req, res, next);
    };
    next();
  });
}

export function wantsSse(req: IncomingMessage, body: unknown): boolean {
  const flag = body && typeof body === 'object' ? (body as { stream?: unknown }).stream : undefined;
  return (
    flag === true || (flag === undefined && (req.headers.accept ?? '').toLowerCase().includes('text/event-stream'))
  );
}

/** A controller aborted when the client goes away before the response completes. */
export function disconnectController(res: ServerResponse): AbortController {
  const c = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) c.abort(new Error('client disconnected'));
  });
  return c;
}

/** Aborts when the client goes away before the response completes. */
export function disconnectSignal(res: ServerResponse): AbortSignal {
  return disconnectController(res).signal;
}

export function originAllowed(origins: readonly string[], origin: string): boolean {
  return origins.includes('*') || origins.includes(origin.toLowerCase());
}

/** Apply the deployment's CORS allow-list to a call; 403 for a browser origin not on it. */
export function applyCors(req: IncomingMessage, res: ServerResponse, origins: readonly string[]): void {
  const origin = req.headers.origin;
  if (!origin) return;
  if (!originAllowed(origins, origin))
    throw new DeploymentError(
      403,
      'cors_forbidden',
      `origin ${origin.slice(0, 200)} is not allowed to call this deployment`,
    );
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', 'Retry-After, X-Request-Id, X-Braid-Trace-Id, X-Braid-Version');
}

export function preflight(res: Response, origin: string | undefined, allowed: boolean): void {
  if (origin && allowed) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  res.status(204).end();
}

function objectBody(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new DeploymentError(400, 'invalid_body', 'the body must be a JSON object { "inputs": { … } }');
  return body as Record<string, unknown>;
}

export function sessionIdOf(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !SESSION_ID.test(v))
    throw new DeploymentError(400, 'invalid_session', `${field}: must be 1–128 characters of [A-Za-z0-9._:@-]`);
  return v;
}

function pinnedVersion(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new DeploymentError(400, 'invalid_version', 'version: must be a positive integer');
  return n;
}

/** Send an error on an open SSE stream. */
export function sseError(sse: SseStream, err: unknown): void {
  const e = toHttpError(err);
  sse.send('error', {
    error: {
      code: e?.code ?? 'internal',
      message: e?.message ?? 'internal server error',
      ...(e?.details !== undefined ? { details: e.details } : {}),
    },
  });
}

/**
 * A deployed endpoint's call, written against Node's own request and response, so that the
 * Express route and the fast path in front of Express (server/http/fast-endpoint.ts) run
 * the same code: `readBody` is the one transport-specific step.
 */
export function endpointCalls(ctx: AppContext) {
  const rt = () => deploymentRuntime(ctx);
  const origin = (req: IncomingMessage) =>
    `${(req.socket as TLSSocket).encrypted ? 'https' : 'http'}://${req.headers.host ?? `${ctx.config.host}:${ctx.config.port}`}`;
  /** Where the key that started a durable run of `slug` reads it. */
  const runStatusUrl = (req: IncomingMessage, slug: string, runId: string) =>
    `${rt().baseUrl(origin(req))}/v1/endpoints/${encodeURIComponent(slug)}/runs/${runId}`;

  /**
   * Key first (401 missing/unknown/revoked, 403 another deployment's, never looking at the
   * slug before), then the deployment (404 only for a key whose deployment went away) and
   * its CORS allow-list.
   */
  async function authorize(
    req: IncomingMessage,
    res: ServerResponse,
    slug: string,
  ): Promise<{ key: KeyRecord; d: DeploymentRecord }> {
    const { endpoints } = rt();
    const key = await endpoints.authenticate(req.headers.authorization, slug);
    const d = await endpoints.deployment(slug);
    applyCors(req, res, d.settings.corsOrigins);
    return { key, d };
  }

  /**
   * Count a refused call in /metrics when its slug is a deployment (arbitrary slugs must not
   * create series). Looked up off the response path, so the answer's timing does not depend
   * on whether the slug exists.
   */
  function countRefused(slug: string, code: string): void {
    const runtime = rt();
    setImmediate(() => {
      runtime.endpoints.deployment(slug).then(
        () => runtime.metrics.recordRefused(slug, code),
        () => undefined,
      );
    });
  }

  /**
   * A call of a flow that may pause for a person: a durable run. JSON: 200 with the outputs
   * when it ends within the call, 202 `{ runId, status: "waiting", statusUrl }` when it
   * pauses. SSE: the same as one final event (`result`, `waiting` or `error`); no tokens are
   * streamed, as a run that pauses and resumes has no single stream to send them on. A
   * `webhook` URL in the body is POSTed the outcome when a run that answered 202 ends.
   */
  async function durableCall(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    key: KeyRecord,
    inputs: Record<string, unknown>,
    body: Record<string, unknown>,
    sessionId: string | undefined,
  ): Promise<void> {
    // The call's own webhook (checked by the caller), else the deployment's default (checked when set).
    const webhook = (body.webhook ?? t.deployment.settings.webhookUrl ?? undefined) as string | undefined;
    const slug = t.deployment.slug;
    const runId = randomUUID();
    const statusUrl = runStatusUrl(req, slug, runId);
    const createdAt = Date.now();
    const t0 = performance.now();
    const sse = wantsSse(req, body);
    let started;
    try {
      started = await ctx.durable.startRun(t.version.flow, {
        runId,
        source: 'deployment',
        inputs,
        wait: true,
        deployment: {
          slug,
          version: t.version.version,
          keyId: key.id,
          statusUrl,
          ...(webhook ? { webhookUrl: webhook } : {}),
        },
      });
    } catch (err) {
      if (!(err instanceof RunInputError)) throw err;
      throw rt().endpoints.rejectInputs(
        {
          slug,
          version: t.version.version,
          api: 'endpoint',
          keyId: key.id,
          keyLabel: key.label,
          sessionId: sessionId ?? null,
          createdAt,
        },
        err,
        t.deployment.settings,
        inputs,
        performance.now() - t0,
      );
    }
    const result = started.result!;
    rt().endpoints.recordDurable(
      t,
      { key, createdAt, latencyMs: performance.now() - t0, inputs, ...(sessionId ? { sessionId } : {}) },
      result,
    );
    res.setHeader('X-Braid-Trace-Id', result.runId);
    const failure = () =>
      new DeploymentError(500, 'run_failed', publicRunFailure(result.trace.error, result.status, t.version.flow), {
        traceId: result.runId,
      });
    if (sse) {
      const stream = openSse(req, res);
      if (result.status === 'waiting') stream.send('waiting', { runId: result.runId, status: 'waiting', statusUrl });
      else if (result.status === 'succeeded')
        stream.send('result', { outputs: result.outputs, traceId: result.runId, usage: result.trace.usage });
      else sseError(stream, failure());
      stream.end();
      return;
    }
    if (result.status === 'waiting') {
      writeJson(res, 202, { runId: result.runId, status: 'waiting', statusUrl });
      return;
    }
    if (result.status !== 'succeeded') throw failure();
    writeJson(res, 200, { outputs: result.outputs, traceId: result.runId, usage: result.trace.usage });
  }

  /**
   * `POST /v1/endpoints/:slug` (`version`: the `?version=` pin, if any). Throws what the
   * caller's error handler answers (domain errors carry their status).
   */
  async function call(
    req: IncomingMessage,
    res: ServerResponse,
    slug: string,
    version: unknown,
    readBody: (limitBytes: number) => Promise<unknown>,
  ): Promise<void> {
    const { endpoints } = rt();
    let key;
    let body;
    try {
      const a = await authorize(req, res, slug);
      key = a.key;
      await endpoints.rateLimit(key, a.d.settings);
      body = objectBody(await readBody(a.d.settings.maxBodyBytes));
    } catch (err) {
      // Calls refused before they run show up in /metrics (per existing deployment only).
      if (err instanceof DeploymentError) countRefused(slug, err.code);
      throw err;
    }
    const t = await endpoints.resolve(slug, pinnedVersion(version));
    const inputs = body.inputs ?? {};
    const sessionId = sessionIdOf(body.sessionId, 'sessionId');
    if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) {
      throw new DeploymentError(400, 'invalid_inputs', 'inputs: must be an object', {
        issues: [{ path: 'inputs', message: 'must be an object' }],
      });
    }
    const shape = chatShape(t.version.flow);
    const turns = (outputs: Record<string, unknown>): ChatMessage[] => {
      const given = inputs as Record<string, unknown>;
      const user =
        shape?.text && typeof given[shape.text] === 'string' ? (given[shape.text] as string) : JSON.stringify(given);
      return [
        { role: 'user', content: user },
        { role: 'assistant', content: replyText(t.version.flow, outputs) },
      ];
    };
    res.setHeader('X-Braid-Version', String(t.version.version));
    // Checked for every call, so a bad URL is said at once, not only when a run pauses.
    const webhookProblem = body.webhook == null ? undefined : webhookUrlProblem(body.webhook);
    if (webhookProblem)
      throw new DeploymentError(400, 'invalid_body', `webhook: ${webhookProblem}`, {
        issues: [{ path: 'webhook', message: webhookProblem }],
      });
    if (canPause(t.version.flow)) {
      // Not cancelled when the client goes away: the run is durable, its status URL tells the end.
      await durableCall(req, res, t, key, inputs as Record<string, unknown>, body, sessionId);
      return;
    }
    // The run's controller itself (invoke also times it out): one controller per call.
    const controller = disconnectController(res);
    const common = { api: 'endpoint' as const, key, controller, turns, ...(sessionId ? { sessionId } : {}) };
    if (!wantsSse(req, body)) {
      const out = await endpoints.invoke(t, inputs as Record<string, unknown>, common);
      res.setHeader('X-Braid-Trace-Id', out.traceId);
      writeJson(res, 200, { outputs: out.outputs, traceId: out.traceId, usage: out.usage });
      return;
    }
    let sse: SseStream | undefined;
    const stream = () => (sse ??= openSse(req, res));
    try {
      const out = await endpoints.invoke(t, inputs as Record<string, unknown>, {
        ...common,
        onToken: (token, nodeId) => stream().send('token', { token, nodeId }),
      });
      stream().send('result', { outputs: out.outputs, traceId: out.traceId, usage: out.usage });
    } catch (err) {
      if (!sse && err instanceof DeploymentError && err.status === 400) throw err;
      sseError(stream(), err);
    } finally {
      sse?.end();
    }
  }

  return { rt, origin, runStatusUrl, authorize, call };
}

export const endpointsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const { rt, origin, runStatusUrl, authorize, call } = endpointCalls(ctx);

  r.options(
    [
      '/v1/endpoints/:slug',
      '/v1/endpoints/:slug/feedback',
      '/v1/endpoints/:slug/openapi.json',
      '/v1/endpoints/:slug/runs/:runId',
    ],
    handle(async (req, res) => {
      const o = req.get('origin');
      let d: DeploymentRecord | undefined;
      try {
        d = await rt().endpoints.deployment(String(req.params.slug));
      } catch {
        d = undefined;
      }
      preflight(res, o, Boolean(o && d && originAllowed(d.settings.corsOrigins, o)));
    }),
  );

  r.post(
    '/v1/endpoints/:slug',
    handle((req, res) =>
      call(req, res, String(req.params.slug), req.query.version, (limit) => parseBody(req, res, limit)),
    ),
  );

  /** A paused (durable) run of this deployment: only the key that started it may read it. */
  r.get(
    '/v1/endpoints/:slug/runs/:runId',
    handle(async (req, res) => {
      const slug = String(req.params.slug);
      const runId = String(req.params.runId).slice(0, 128);
      const { key } = await authorize(req, res, slug);
      const run = await ctx.durable.store.getRun(runId);
      if (!run || run.deployment?.slug !== slug || run.deployment.keyId !== key.id)
        throw new DeploymentError(404, 'not_found', `no run "${runId}" of deployment "${slug}" for this key`);
      const body: Record<string, unknown> = {
        ...publicRunState(run, runStatusUrl(req, slug, runId)),
      };
      if (run.status === 'waiting') body.pendingTasks = (await ctx.durable.store.tasksOfRun(runId, 'pending')).length;
      // Only a run given a webhook has a delivery to show (polls of the others skip the query).
      const webhook = run.deployment.webhookUrl ? await ctx.durable.webhooks?.view(runId) : undefined;
      if (webhook) body.webhook = webhook;
      res.json(body);
    }),
  );

  r.get(
    '/v1/endpoints/:slug/openapi.json',
    handle(async (req, res) => {
      const slug = String(req.params.slug);
      await authorize(req, res, slug);
      const t = await rt().endpoints.resolve(slug, pinnedVersion(req.query.version));
      res.json(
        buildOpenApi({ slug, version: t.version.version, flow: t.version.flow, baseUrl: rt().baseUrl(origin(req)) }),
      );
    }),
  );

  r.post(
    '/v1/endpoints/:slug/feedback',
    handle(async (req, res) => {
      const slug = String(req.params.slug);
      const runtime = rt();
      const { d } = await authorize(req, res, slug);
      const body = objectBody(await parseBody(req, res, 64 * 1024));
      const fb = parseFeedback(body);
      // Stored like the request log: masked when the deployment says so.
      if (d.settings.redactPii && fb.comment) fb.comment = redactPiiText(fb.comment);
      if (!(await runtime.logs.feedback(slug, fb.traceId, fb)))
        throw new DeploymentError(
          404,
          'not_found',
          `no call with traceId "${fb.traceId.slice(0, 128)}" on deployment "${slug}"`,
        );
      runtime.metrics.recordFeedback(slug, fb.sentiment);
      if (fb.sentiment < 0.5) runtime.alerts.nudge();
      res.json({ ok: true, traceId: fb.traceId, score: fb.score, sentiment: fb.sentiment });
    }),
  );

  return r;
};

/**
 * Feedback scores: "up"/"down" or true/false (thumbs), 0 or 1 (thumbs), 2–5 (rating), or
 * `kind: "rating"` with 1–5. Sentiment: thumbs up 1, down 0; ratings 4–5 → 1, 3 → 0.5, 1–2 → 0.
 */
export function parseFeedback(body: Record<string, unknown>): {
  traceId: string;
  score: number;
  sentiment: number;
  comment: string | null;
} {
  const traceId = body.traceId;
  if (typeof traceId !== 'string' || traceId.length === 0 || traceId.length > 128)
    throw new DeploymentError(400, 'invalid_feedback', 'traceId: required string');
  const comment = body.comment;
  if (comment !== undefined && comment !== null && (typeof comment !== 'string' || comment.length > 4000))
    throw new DeploymentError(400, 'invalid_feedback', 'comment: must be a string of at most 4000 characters');
  const s = body.score;
  const rating = body.kind === 'rating';
  let score: number;
  let sentiment: number;
  if (s === 'up' || s === true) [score, sentiment] = [1, 1];
  else if (s === 'down' || s === false) [score, sentiment] = [0, 0];
  else if (typeof s === 'number' && Number.isInteger(s) && !rating && (s === 0 || s === 1)) [score, sentiment] = [s, s];
  else if (typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= 5)
    [score, sentiment] = [s, s >= 4 ? 1 : s === 3 ? 0.5 : 0];
  else
    throw new DeploymentError(
      400,
      'invalid_feedback',
      'score: "up", "down", 0/1 (thumbs) or an integer rating 1–5 (send kind: "rating" for 1)',
    );
  return { traceId, score, sentiment, comment: typeof comment === 'string' ? comment : null };
}
