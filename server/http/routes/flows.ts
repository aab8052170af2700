/** Flow CRUD + validate: thin handlers over the file store. */
import type { Request, Response } from 'express';
import { loadFlow } from '../../flows/loader';
import type { StoredFlow } from '../../flows/store';
import { isSafeFlowId, parseFlowFile } from '../../flows/store';
import { COMMIT_RE, GitHistoryError, fileAtCommit, fileHistory } from '../../flows/history';
import type { RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError } from '../errors';
import { LIMIT, queryInt } from '../query';
import type { FlowListResponse, FlowResponse, FlowValidateResponse } from '../../../shared/api/flows';

function flowId(req: Request): string {
  const id = String(req.params.id ?? '');
  if (!isSafeFlowId(id))
    throw new HttpError(400, 'invalid_id', `invalid flow id "${id}": must match [a-z0-9][a-z0-9_-]*`);
  return id;
}

function bodyObject(req: Request): Record<string, unknown> {
  const b: unknown = req.body;
  if (b === undefined)
    throw new HttpError(400, 'invalid_body', 'expected a JSON body (Content-Type: application/json)');
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw new HttpError(400, 'invalid_body', 'the body must be a JSON object');
  return b as Record<string, unknown>;
}

/** `?draft=1`: store a flow whose file shape is valid even when it has graph/config problems. */
function isDraft(req: Request): boolean {
  const v = req.query.draft;
  if (v === undefined) return false;
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new HttpError(400, 'invalid_query', 'draft must be 1 or 0');
}

function sendFlow(res: Response, stored: StoredFlow, status = 200): void {
  res.setHeader('ETag', stored.etag);
  res.setHeader('Cache-Control', 'no-cache');
  res.status(status).json({
    flow: stored.document,
    etag: stored.etag,
    valid: stored.valid,
    problems: stored.problems,
    updatedAt: stored.updatedAt,
  } satisfies FlowResponse);
}

export const flowsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const store = ctx.flows;

  r.get('/api/flows', async (_req, res) => {
    const { flows, problems } = await store.list();
    res.json({ flows, problems } satisfies FlowListResponse);
  });

  r.post('/api/flows', async (req, res) => {
    const body = bodyObject(req);
    const id = body.id;
    if (typeof id !== 'string' || !isSafeFlowId(id)) {
      throw new HttpError(400, 'invalid_id', 'the flow needs an "id" matching [a-z0-9][a-z0-9_-]*');
    }
    const { stored } = await store.save(id, body, { mustNotExist: true, draft: isDraft(req) });
    res.setHeader('Location', `/api/flows/${id}`);
    sendFlow(res, stored, 201);
  });

  r.get('/api/flows/:id', async (req, res) => {
    const id = flowId(req);
    const stored = await store.get(id);
    if (!stored) throw new HttpError(404, 'not_found', `no flow with id "${id}"`);
    const inm = req.get('if-none-match');
    if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === stored.etag)) {
      res.setHeader('ETag', stored.etag);
      res.status(304).end();
      return;
    }
    sendFlow(res, stored);
  });

  r.put('/api/flows/:id', async (req, res) => {
    const id = flowId(req); // the path id wins: a body's id never overrides it
    const body = bodyObject(req);
    const ifMatch = req.get('if-match');
    const { stored, created } = await store.save(id, body, {
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      draft: isDraft(req),
    });
    sendFlow(res, stored, created ? 201 : 200);
  });

  r.delete('/api/flows/:id', async (req, res) => {
    const id = flowId(req);
    const ifMatch = req.get('if-match');
    const existed = await store.delete(id, ifMatch !== undefined ? { ifMatch } : {});
    if (!existed) throw new HttpError(404, 'not_found', `no flow with id "${id}"`);
    res.status(204).end();
  });

  /** Commits that touched the flow's file when the flows folder is a git repository. */
  r.get('/api/flows/:id/history', async (req, res) => {
    const id = flowId(req);
    const limit = queryInt(req, 'limit', 100, LIMIT(500));
    res.setHeader('Cache-Control', 'no-cache');
    res.json(await fileHistory(store.pathOf(id), limit));
  });

  /** The flow's file as it was at one commit (parsed and validated, never run). */
  r.get('/api/flows/:id/versions/:commit', async (req, res) => {
    const id = flowId(req);
    const commit = String(req.params.commit ?? '');
    if (!COMMIT_RE.test(commit)) throw new HttpError(400, 'invalid_commit', 'a commit id is 7 to 40 hex digits');
    let version: Awaited<ReturnType<typeof fileAtCommit>>;
    try {
      version = await fileAtCommit(store.pathOf(id), commit);
    } catch (err) {
      if (err instanceof GitHistoryError) {
        if (err.code === 'not_found') throw new HttpError(404, 'not_found', err.message);
        if (err.code === 'invalid_commit') throw new HttpError(400, 'invalid_commit', err.message);
        throw new HttpError(404, 'no_history', err.message);
      }
      throw err;
    }
    const parsed = parseFlowFile(version.path, id, version.bytes, version.date);
    if ('error' in parsed)
      throw new HttpError(422, 'malformed_file', `${version.path} at ${commit} is malformed: ${parsed.error}`);
    res.setHeader('Cache-Control', 'private, max-age=3600');
    res.json({
      commit: version.commit,
      path: version.path,
      date: version.date,
      flow: parsed.document,
      valid: parsed.valid,
      problems: parsed.problems,
    });
  });

  /**
   * Validate the stored flow, or the flow in the body when one is sent (a draft from the
   * canvas; nothing is saved). Pure checking: no code, JSONata, template or URL runs.
   */
  r.post('/api/flows/:id/validate', async (req, res) => {
    const id = flowId(req);
    const body: unknown = req.body;
    if (
      body !== undefined &&
      body !== null &&
      typeof body === 'object' &&
      !Array.isArray(body) &&
      Object.keys(body).length > 0
    ) {
      const result = await loadFlow({ ...(body as Record<string, unknown>), id }, store.documents);
      res.json({ valid: result.valid, problems: result.problems } satisfies FlowValidateResponse);
      return;
    }
    const stored = await store.get(id);
    if (!stored) throw new HttpError(404, 'not_found', `no flow with id "${id}"`);
    res.json({ valid: stored.valid, problems: stored.problems } satisfies FlowValidateResponse);
  });

  return r;
};
