/**
 * OpenAI-compatible API over deployments, so the official `openai` clients call a Braid
 * flow unchanged (base URL `<braid>/v1`, API key = a deployment key):
 *   POST /v1/chat/completions  `model: "<slug>"` (or `"<slug>@<version>"` to pin), JSON or
 *                              `stream: true` (chat.completion.chunk SSE + [DONE]); usage
 *                              comes from the run's trace.
 *   GET  /v1/models, /v1/models/:id   the deployment the key belongs to.
 * The mapping of messages to flow inputs is in server/deployment/chat.ts; the OpenAI
 * `user` field is the conversation id for server-side memory (per key: two keys with the
 * same `user` have separate conversations). The key is checked before anything about the
 * model, and any slug other than the key's own is 403, existing or not.
 */
import type { Request, Response } from 'express';
import type { Flow, Trace } from '../../../shared';
import {
  ChatMappingError,
  chatInputs,
  chatShape,
  mergeWithHistory,
  normaliseMessages,
  replyText,
} from '../../deployment/chat';
import type { ChatMessage } from '../../deployment/conversations';
import { DeploymentError } from '../../deployment/errors';
import { deploymentRuntime } from '../../deployment/runtime';
import type { KeyRecord } from '../../deployment/store';
import { createRouter, type RouteModule } from '../context';
import { toHttpError } from '../errors';
import { applyCors, disconnectSignal, handle, originAllowed, parseBody, preflight, sessionIdOf } from './endpoints';

const MODEL = /^([a-z0-9][a-z0-9_-]*)(?:@(\d+))?$/;

/** The node whose output becomes the reply (to stream only its tokens). */
export function replySourceNode(flow: Flow): string | undefined {
  const outNode = flow.nodes.find((n) => n.type === 'output');
  if (!outNode) return undefined;
  const names = (flow.outputs ?? []).filter((o) => (o.type ?? 'string') === 'string').map((o) => o.name);
  for (const name of names) {
    const e = flow.edges.find((x) => x.target === outNode.id && x.targetPort === name);
    if (e) return e.source;
  }
  return undefined;
}

/** `stop`, or `length` when the node the reply comes from was cut at its token limit. */
export function finishReason(flow: Flow, trace: Trace): 'stop' | 'length' {
  const source = replySourceNode(flow);
  const span = source === undefined ? undefined : trace.spans.find((s) => s.nodeId === source);
  return span?.meta?.truncated === true ? 'length' : 'stop';
}

/** A request's `max_completion_tokens` / `max_tokens` (positive integer), or undefined. */
export function requestedMaxTokens(body: Record<string, unknown>): number | undefined {
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
      throw new DeploymentError(400, 'invalid_max_tokens', `${field}: must be a positive integer`, {
        issues: [{ path: field, message: 'must be a positive integer' }],
      });
    return v;
  }
  return undefined;
}

function modelEntry(slug: string, createdAt: number) {
  return { id: slug, object: 'model' as const, created: Math.floor(createdAt / 1000), owned_by: 'braid' };
}

export const openaiRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const rt = () => deploymentRuntime(ctx);

  r.options(
    ['/v1/chat/completions', '/v1/models', '/v1/models/:id'],
    handle(async (req, res) => {
      const o = req.get('origin');
      const all = o ? await rt().service.store.list() : [];
      preflight(res, o, Boolean(o && all.some((d) => originAllowed(d.settings.corsOrigins, o))));
    }),
  );

  async function keyAndDeployment(req: Request, res: Response): Promise<{ key: KeyRecord; createdAt: number }> {
    const { endpoints } = rt();
    const key = await endpoints.authenticate(req.get('authorization'), undefined);
    const d = await endpoints.deployment(key.slug);
    applyCors(req, res, d.settings.corsOrigins);
    return { key, createdAt: d.createdAt };
  }

  r.get(
    '/v1/models',
    handle(async (req, res) => {
      const { key, createdAt } = await keyAndDeployment(req, res);
      res.json({ object: 'list', data: [modelEntry(key.slug, createdAt)] });
    }),
  );

  r.get(
    '/v1/models/:id',
    handle(async (req, res) => {
      const { key, createdAt } = await keyAndDeployment(req, res);
      const m = MODEL.exec(String(req.params.id));
      if (!m || m[1] !== key.slug)
        throw new DeploymentError(
          404,
          'model_not_found',
          `model "${String(req.params.id).slice(0, 128)}" is not available to this key`,
        );
      res.json(modelEntry(key.slug, createdAt));
    }),
  );

  r.post(
    '/v1/chat/completions',
    handle(async (req, res) => {
      const runtime = rt();
      const { endpoints } = runtime;
      const { key } = await keyAndDeployment(req, res);
      const d = await endpoints.deployment(key.slug);
      await endpoints.rateLimit(key, d.settings);
      const raw = await parseBody(req, res, d.settings.maxBodyBytes);
      if (!raw || typeof raw !== 'object' || Array.isArray(raw))
        throw new DeploymentError(400, 'invalid_body', 'the body must be a JSON object');
      const body = raw as Record<string, unknown>;
      const m = typeof body.model === 'string' ? MODEL.exec(body.model) : null;
      if (!m)
        throw new DeploymentError(400, 'invalid_model', 'model: must be a deployment slug, optionally "@<version>"');
      if (m[1] !== key.slug)
        throw new DeploymentError(403, 'forbidden', `this API key does not belong to deployment "${m[1]}"`);
      const t = await endpoints.resolve(key.slug, m[2] ? Number(m[2]) : undefined);
      const flow = t.version.flow;
      const shape = chatShape(flow);
      if (!shape)
        throw new DeploymentError(
          400,
          'not_a_chat_flow',
          `deployment "${key.slug}" is not a chat flow: it needs a "messages" input or exactly one required string input`,
        );
      const sessionId = sessionIdOf(body.user, 'user');
      const maxTokens = requestedMaxTokens(body);
      let messages: ChatMessage[];
      let inputs: Record<string, unknown>;
      let userText: string;
      try {
        messages = normaliseMessages(body.messages);
        const conversation = mergeWithHistory(
          messages,
          sessionId ? await endpoints.history(t, key, sessionId) : undefined,
        );
        ({ inputs, userText } = chatInputs(shape, conversation));
      } catch (err) {
        if (err instanceof ChatMappingError) throw new DeploymentError(400, 'invalid_messages', err.message);
        throw err;
      }
      const turns = (outputs: Record<string, unknown>): ChatMessage[] => [
        { role: 'user', content: userText },
        { role: 'assistant', content: replyText(flow, outputs) },
      ];
      const signal = disconnectSignal(res);
      const id = `chatcmpl-${crypto.randomUUID().replace(/-/g, '')}`;
      const created = Math.floor(Date.now() / 1000);
      const model = String(body.model);
      const common = {
        api: 'openai' as const,
        key,
        signal,
        turns,
        ...(sessionId ? { sessionId } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      };
      const usageOf = (u: { promptTokens: number; completionTokens: number; totalTokens: number }) => ({
        prompt_tokens: u.promptTokens,
        completion_tokens: u.completionTokens,
        total_tokens: u.totalTokens,
      });

      if (body.stream !== true) {
        const out = await endpoints.invoke(t, inputs, common);
        res.setHeader('X-Braid-Trace-Id', out.traceId);
        res.json({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: replyText(flow, out.outputs), refusal: null },
              logprobs: null,
              finish_reason: finishReason(flow, out.trace),
            },
          ],
          usage: usageOf(out.usage),
          system_fingerprint: null,
          braid: { traceId: out.traceId, version: t.version.version, cost: out.usage.cost },
        });
        return;
      }

      const includeUsage = Boolean((body.stream_options as { include_usage?: unknown } | undefined)?.include_usage);
      const source = replySourceNode(flow);
      let opened = false;
      let streamed = '';
      const write = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
        write({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          system_fingerprint: null,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
          ...extra,
        });
      const open = () => {
        if (opened) return;
        opened = true;
        res.status(200);
        res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
        res.setHeader('Cache-Control', 'no-cache, no-transform');
        res.setHeader('X-Accel-Buffering', 'no');
        res.flushHeaders();
        req.socket.setNoDelay(true);
        chunk({ role: 'assistant', content: '' }, null);
      };
      try {
        const out = await endpoints.invoke(t, inputs, {
          ...common,
          onToken: (token, nodeId) => {
            if (source !== undefined && nodeId !== source) return;
            open();
            streamed += token;
            chunk({ content: token }, null);
          },
        });
        open();
        const reply = replyText(flow, out.outputs);
        if (reply !== streamed && reply.startsWith(streamed)) chunk({ content: reply.slice(streamed.length) }, null);
        const usage = usageOf(out.usage);
        chunk({}, finishReason(flow, out.trace), includeUsage ? {} : { usage });
        if (includeUsage)
          write({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices: [], usage });
        res.write('data: [DONE]\n\n');
      } catch (err) {
        if (!opened) throw err;
        const e = err instanceof DeploymentError ? err : toHttpError(err);
        write({
          error: { message: e?.message ?? 'internal server error', type: 'server_error', code: e?.code ?? 'internal' },
        });
      } finally {
        if (opened) res.end();
      }
    }),
  );

  return r;
};
