/**
 * Monitoring: `GET /metrics` (Prometheus text; requires BRAID_ADMIN_TOKEN as a bearer
 * token when one is set), per-deployment time series, and alert rules and events.
 */
import type { Request } from 'express';
import { alertRulePatchSchema, alertRuleRequestSchema } from '../../../shared/api/deployment';
import { DeploymentError } from '../../deployment/errors';
import { LIMIT, queryInt } from '../query';
import { deploymentRuntime } from '../../deployment/runtime';
import { AlertRuleError, type AlertRuleInput } from '../../monitoring/alerts';
import { tokenEquals } from '../middleware/auth';
import { createRouter, type RouteModule } from '../context';
import { parseBody } from '../validate';
import { handle } from './endpoints';

function num(req: Request, name: string, dflt: number, min: number, max: number): number {
  const v = req.query[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new DeploymentError(400, 'invalid_query', `${name}: must be a number between ${min} and ${max}`);
  return n;
}

export const metricsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const rt = () => deploymentRuntime(ctx);

  r.get(
    '/metrics',
    handle(async (req, res) => {
      const token = ctx.config.adminToken;
      if (token) {
        const m = /^Bearer[ ]+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
        if (!m || !tokenEquals(m[1] ?? '', token))
          throw new DeploymentError(
            401,
            'unauthorized',
            'metrics require the admin token (Authorization: Bearer <BRAID_ADMIN_TOKEN>)',
            undefined,
            { 'WWW-Authenticate': 'Bearer realm="braid"' },
          );
      }
      const m = rt().metrics;
      res.setHeader('Content-Type', m.contentType());
      res.send(await m.text());
    }),
  );

  r.get(
    '/api/deployments/:slug/stats',
    handle(async (req, res) => {
      const slug = String(req.params.slug);
      await rt().service.require(slug);
      const windowMs = num(req, 'windowMs', 3_600_000, 60_000, 30 * 86_400_000);
      const bucketMs = num(
        req,
        'bucketMs',
        Math.max(60_000, Math.round(windowMs / 60 / 60_000) * 60_000),
        1_000,
        windowMs,
      );
      if (windowMs / bucketMs > 2_000)
        throw new DeploymentError(400, 'invalid_query', 'too many buckets (windowMs / bucketMs must be at most 2000)');
      res.json(await rt().stats(slug, { windowMs, bucketMs }));
    }),
  );

  r.get(
    '/api/alerts/rules',
    handle(async (req, res) => {
      const slug = typeof req.query.slug === 'string' ? req.query.slug : undefined;
      res.json({ items: await rt().alerts.rules(slug ? { slug } : {}) });
    }),
  );

  r.post(
    '/api/alerts/rules',
    handle(async (req, res) => {
      const b = parseBody(alertRuleRequestSchema, req.body);
      if (typeof b.slug === 'string') await rt().service.require(b.slug);
      const input: AlertRuleInput = {
        kind: b.kind,
        threshold: b.threshold,
        ...(b.slug !== undefined ? { slug: b.slug } : {}),
        ...(b.windowMs !== undefined ? { windowMs: b.windowMs } : {}),
        ...(b.minSamples !== undefined ? { minSamples: b.minSamples } : {}),
        ...(b.webhookUrl !== undefined ? { webhookUrl: b.webhookUrl } : {}),
        ...(b.cooldownMs !== undefined ? { cooldownMs: b.cooldownMs } : {}),
        ...(b.enabled !== undefined ? { enabled: b.enabled } : {}),
      };
      try {
        res.status(201).json(await rt().alerts.createRule(input));
      } catch (err) {
        if (err instanceof AlertRuleError) throw new DeploymentError(400, 'invalid_rule', err.message);
        throw err;
      }
    }),
  );

  r.patch(
    '/api/alerts/rules/:id',
    handle(async (req, res) => {
      const { enabled } = parseBody(alertRulePatchSchema, req.body);
      if (!(await rt().alerts.setEnabled(String(req.params.id), enabled)))
        throw new DeploymentError(404, 'not_found', 'no such rule');
      res.json({ ok: true });
    }),
  );

  r.delete(
    '/api/alerts/rules/:id',
    handle(async (req, res) => {
      if (!(await rt().alerts.deleteRule(String(req.params.id))))
        throw new DeploymentError(404, 'not_found', 'no such rule');
      res.status(204).end();
    }),
  );

  r.get(
    '/api/alerts/events',
    handle(async (req, res) => {
      const slug = typeof req.query.slug === 'string' ? req.query.slug : undefined;
      res.json({
        items: await rt().alerts.events({ ...(slug ? { slug } : {}), limit: queryInt(req, 'limit', 100, LIMIT(500)) }),
      });
    }),
  );

  /** Evaluate every rule now (the UI's "check now"); returns the events fired. */
  r.post(
    '/api/alerts/evaluate',
    handle(async (_req, res) => {
      res.json({ fired: await rt().alerts.evaluate() });
    }),
  );

  return r;
};
