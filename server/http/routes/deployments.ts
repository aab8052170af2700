/**
 * Deployment management (admin API, behind BRAID_ADMIN_TOKEN when set): deploy, list,
 * versions, rollback, settings, keys, request logs, logged call → dataset row, and the
 * builder's chat playground (talk to a flow before deploying it).
 */
import type { Request } from 'express';
import {
  createKeyRequestSchema,
  deploymentPatchSchema,
  deployRequestSchema,
  keyLabelRequestSchema,
  logToDatasetRequestSchema,
  playgroundChatRequestSchema,
  rollbackRequestSchema,
  versionNoteRequestSchema,
  type CreatedKey,
  type PlaygroundChatResponse,
} from '../../../shared/api/deployment';
import { DatasetError, DatasetStore } from '../../datasets/store';
import {
  ChatMappingError,
  chatInputs,
  chatShape,
  mergeWithHistory,
  normaliseMessages,
  replyText,
} from '../../deployment/chat';
import { DeploymentError } from '../../deployment/errors';
import type { LogFilter } from '../../deployment/logs';
import { buildOpenApi } from '../../deployment/openapi';
import { deploymentRuntime } from '../../deployment/runtime';
import { isSafeFlowId } from '../../flows/store';
import { createRouter, type RouteModule } from '../context';
import { HttpError } from '../errors';
import { LIMIT, queryInt } from '../query';
import { parseBody } from '../validate';
import { handle, sessionIdOf } from './endpoints';

function flowId(req: Request): string {
  const v = String(req.params.id ?? '');
  if (!isSafeFlowId(v)) throw new HttpError(400, 'invalid_id', `invalid flow id "${v.slice(0, 128)}"`);
  return v;
}

function slugOf(req: Request): string {
  const v = String(req.params.slug ?? '');
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(v))
    throw new DeploymentError(404, 'not_found', `no deployment "${v.slice(0, 64)}"`);
  return v;
}

function intQuery(req: Request, name: string): number | undefined {
  const v = req.query[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new DeploymentError(400, 'invalid_query', `${name}: must be a number`);
  return n;
}

const VERSIONS = { min: 1, max: 999_999_999 };

/** A version number in a path or query (`name` says which): a positive integer. */
function versionParam(v: string, name: string): number {
  const n = Number(v);
  if (!/^\d{1,9}$/.test(v) || !Number.isInteger(n) || n < 1)
    throw new DeploymentError(
      400,
      'invalid_version',
      `${name}: must be a version number (1, 2, …), got "${v.slice(0, 20)}"`,
    );
  return n;
}

export const deploymentsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const rt = () => deploymentRuntime(ctx);
  const base = (req: Request) =>
    rt().baseUrl(`${req.protocol}://${req.get('host') ?? `${ctx.config.host}:${ctx.config.port}`}`);

  r.post(
    '/api/flows/:id/deployments',
    handle(async (req, res) => {
      const flow = await ctx.runService.loadRunnable(flowId(req));
      const out = await rt().service.deploy(flow, parseBody(deployRequestSchema, req.body), base(req));
      res.status(out.unchanged ? 200 : 201).json(out);
    }),
  );

  r.get(
    '/api/flows/:id/deployments',
    handle(async (req, res) => {
      const s = rt().service;
      const list = await s.store.list({ flowId: flowId(req) });
      res.json({ items: await Promise.all(list.map((d) => s.info(d, base(req)))) });
    }),
  );

  r.get(
    '/api/deployments',
    handle(async (req, res) => {
      const s = rt().service;
      res.json({ items: await Promise.all((await s.store.list()).map((d) => s.info(d, base(req)))) });
    }),
  );

  r.get(
    '/api/deployments/:slug',
    handle(async (req, res) => {
      await rt().flushKeyUse();
      res.json(await rt().service.detail(slugOf(req), base(req)));
    }),
  );

  r.patch(
    '/api/deployments/:slug',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const { settings } = parseBody(deploymentPatchSchema, req.body);
      await rt().service.updateSettings(slug, settings);
      res.json(await rt().service.detail(slug, base(req)));
    }),
  );

  r.delete(
    '/api/deployments/:slug',
    handle(async (req, res) => {
      await rt().service.remove(slugOf(req));
      res.status(204).end();
    }),
  );

  /**
   * The key that signs this deployment's run webhooks (X-Braid-Signature, HMAC-SHA256 of
   * the body): made on first read; POST replaces it.
   */
  r.get(
    '/api/deployments/:slug/webhook-secret',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const secret = await rt().service.store.webhookSecret(slug);
      if (!secret) throw new DeploymentError(404, 'not_found', `no deployment "${slug}"`);
      res.json({ slug, secret, header: 'X-Braid-Signature', algorithm: 'HMAC-SHA256' });
    }),
  );

  r.post(
    '/api/deployments/:slug/webhook-secret',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const secret = await rt().service.store.rotateWebhookSecret(slug);
      if (!secret) throw new DeploymentError(404, 'not_found', `no deployment "${slug}"`);
      res.json({ slug, secret, header: 'X-Braid-Signature', algorithm: 'HMAC-SHA256' });
    }),
  );

  r.post(
    '/api/deployments/:slug/rollback',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const { version } = parseBody(rollbackRequestSchema, req.body);
      await rt().service.rollback(slug, version);
      res.json(await rt().service.detail(slug, base(req)));
    }),
  );

  r.get(
    '/api/deployments/:slug/versions/:version',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const v = await rt().service.store.version(slug, Number(req.params.version));
      if (!v)
        throw new DeploymentError(
          404,
          'not_found',
          `deployment "${slug}" has no version ${String(req.params.version).slice(0, 20)}`,
        );
      res.json(v);
    }),
  );

  r.patch(
    '/api/deployments/:slug/versions/:version',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const version = versionParam(String(req.params.version), 'version');
      const { note } = parseBody(versionNoteRequestSchema, req.body);
      await rt().service.setNote(slug, version, note);
      res.json(await rt().service.detail(slug, base(req)));
    }),
  );

  /** What changed between two versions (default: the live version against the one before it). */
  r.get(
    '/api/deployments/:slug/diff',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const d = await rt().service.require(slug);
      const to = queryInt(req, 'to', d.liveVersion, VERSIONS);
      const from = queryInt(req, 'from', Math.max(1, to - 1), VERSIONS);
      res.json(await rt().service.diff(slug, from, to));
    }),
  );

  r.get(
    '/api/deployments/:slug/openapi.json',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const d = await rt().service.require(slug);
      const v = await rt().service.store.version(slug, intQuery(req, 'version') ?? d.liveVersion);
      if (!v) throw new DeploymentError(404, 'not_found', 'no such version');
      res.json(buildOpenApi({ slug, version: v.version, flow: v.flow, baseUrl: base(req) }));
    }),
  );

  // ── keys ──
  r.post(
    '/api/deployments/:slug/keys',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const { label } = parseBody(createKeyRequestSchema, req.body);
      res.status(201).json((await rt().service.createKey(slug, label ?? 'key')) satisfies CreatedKey);
    }),
  );

  r.get(
    '/api/deployments/:slug/keys',
    handle(async (req, res) => {
      const slug = slugOf(req);
      await rt().service.require(slug);
      res.json({ items: await rt().service.store.keys(slug) });
    }),
  );

  r.patch(
    '/api/deployments/:slug/keys/:keyId',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const { label } = parseBody(keyLabelRequestSchema, req.body);
      if (!(await rt().service.store.labelKey(slug, String(req.params.keyId), label)))
        throw new DeploymentError(404, 'not_found', 'no such key');
      res.json({ ok: true });
    }),
  );

  r.delete(
    '/api/deployments/:slug/keys/:keyId',
    handle(async (req, res) => {
      res.json(await rt().service.revokeKey(slugOf(req), String(req.params.keyId)));
    }),
  );

  // ── request log ──
  r.get(
    '/api/deployments/:slug/logs',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const q = req.query;
      const status =
        typeof q.status === 'string' &&
        ['succeeded', 'failed', 'rejected', 'cancelled', 'waiting', 'error'].includes(q.status)
          ? (q.status as LogFilter['status'])
          : undefined;
      const feedback =
        typeof q.feedback === 'string' && ['negative', 'positive', 'any', 'none'].includes(q.feedback)
          ? (q.feedback as LogFilter['feedback'])
          : undefined;
      const minLatencyMs = intQuery(req, 'minLatencyMs');
      const version = intQuery(req, 'version');
      const limit = queryInt(req, 'limit', undefined, LIMIT(500));
      const filter: LogFilter = {
        ...(status ? { status } : {}),
        ...(feedback ? { feedback } : {}),
        ...(minLatencyMs !== undefined ? { minLatencyMs } : {}),
        ...(version !== undefined ? { version } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(typeof q.before === 'string' ? { before: q.before } : {}),
      };
      res.json(await rt().logs.list(slug, filter));
    }),
  );

  r.get(
    '/api/deployments/:slug/logs/:traceId',
    handle(async (req, res) => {
      const entry = await rt().logs.get(slugOf(req), String(req.params.traceId), { trace: true });
      if (!entry) throw new DeploymentError(404, 'not_found', 'no such call');
      res.json(entry);
    }),
  );

  /** Add a logged call to a dataset: its inputs plus an expected value (new dataset version). */
  r.post(
    '/api/deployments/:slug/logs/:traceId/dataset',
    handle(async (req, res) => {
      const slug = slugOf(req);
      const b = parseBody(logToDatasetRequestSchema, req.body);
      const entry = await rt().logs.get(slug, String(req.params.traceId));
      if (!entry) throw new DeploymentError(404, 'not_found', 'no such call');
      const column = b.expectedColumn ?? 'expected';
      const datasets = new DatasetStore(ctx.storage);
      let datasetId = b.datasetId;
      if (datasetId === undefined) {
        const name = b.datasetName ?? ''; // the schema asks for one of the two
        datasetId = (
          (await datasets.findByName(name)) ?? (await datasets.create(name, `Logged calls of deployment ${slug}`))
        ).id;
      }
      const row = { ...(entry.inputs ?? {}), [column]: b.expected };
      try {
        const version = await datasets.appendRows(datasetId, [row], `deployment:${slug}`);
        res.status(201).json({ datasetId, version, row });
      } catch (err) {
        if (err instanceof DatasetError && err.code === 'not_found')
          throw new DeploymentError(404, 'dataset_not_found', err.message);
        throw err;
      }
    }),
  );

  // ── chat playground (current flow file, memory scope flow:<id>) ──
  r.post(
    '/api/flows/:id/chat',
    handle(async (req, res) => {
      const id = flowId(req);
      const flow = await ctx.runService.loadRunnable(id);
      const shape = chatShape(flow);
      if (!shape)
        throw new DeploymentError(
          400,
          'not_a_chat_flow',
          `flow "${id}" is not a chat flow: it needs a "messages" input or exactly one required string input`,
        );
      const b = parseBody(playgroundChatRequestSchema, req.body);
      const sessionId = b.sessionId ?? 'playground';
      const ref = { scope: `flow:${id}`, keyId: null, sessionId }; // the playground: admin token, no API key
      const conversations = rt().conversations;
      let inputs: Record<string, unknown>;
      let userText: string;
      try {
        const messages =
          b.message !== undefined ? [{ role: 'user' as const, content: b.message }] : normaliseMessages(b.messages);
        ({ inputs, userText } = chatInputs(shape, mergeWithHistory(messages, await conversations.load(ref))));
      } catch (err) {
        if (err instanceof ChatMappingError) throw new DeploymentError(400, 'invalid_messages', err.message);
        throw err;
      }
      const result = await ctx.runService.run(flow, inputs, { source: 'playground' });
      const reply = result.status === 'succeeded' ? replyText(flow, result.outputs) : null;
      const history =
        reply !== null
          ? await conversations.append(
              ref,
              [
                { role: 'user', content: userText },
                { role: 'assistant', content: reply },
              ],
              { maxMessages: 50, maxTokens: 16_000 },
            )
          : await conversations.load(ref);
      res.json({
        reply,
        status: result.status,
        runId: result.runId,
        usage: result.trace.usage,
        error: result.trace.error ?? null,
        history,
      } satisfies PlaygroundChatResponse);
    }),
  );

  r.get(
    '/api/flows/:id/chat/:sessionId',
    handle(async (req, res) => {
      const sessionId = sessionIdOf(String(req.params.sessionId), 'sessionId') as string;
      res.json({ history: await rt().conversations.load({ scope: `flow:${flowId(req)}`, keyId: null, sessionId }) });
    }),
  );

  r.delete(
    '/api/flows/:id/chat/:sessionId',
    handle(async (req, res) => {
      const sessionId = sessionIdOf(String(req.params.sessionId), 'sessionId') as string;
      await rt().conversations.clear({ scope: `flow:${flowId(req)}`, keyId: null, sessionId });
      res.status(204).end();
    }),
  );

  return r;
};
