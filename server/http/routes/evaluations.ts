/**
 * Evaluations: create (checked before any row runs), list, get, progress over SSE,
 * cancel, resume, per-row results (+ trace), live summary, export, compare, reviews
 * and preference export. Thin handlers over server/evaluation.
 */
import type { Request, Response } from 'express';
import type { Flow } from '../../../shared';
import {
  createEvaluationRequestSchema,
  evaluationPatchSchema,
  type EvaluationConfigInput,
  type EvaluationEvent,
  type ReviewInput,
} from '../../../shared/api/evaluation';
import { compareEvaluations, type CompareFilter } from '../../evaluation/compare';
import { exportPreferences, exportResults, reviewMetrics } from '../../evaluation/export';
import { evaluationServiceFor } from '../../evaluation/http-context';
import { computeSummary } from '../../evaluation/summary';
import type { RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError } from '../errors';
import { LIMIT, OFFSET, queryInt } from '../query';
import { openSse } from '../sse';
import { parseBody } from '../validate';

async function stream(
  res: Response,
  contentType: string,
  filename: string,
  gen: AsyncGenerator<string>,
): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  for await (const chunk of gen) {
    if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
  }
  res.end();
}

const int = (v: unknown, d: number) =>
  Number.isFinite(Number(v)) && v !== undefined && v !== '' ? Math.floor(Number(v)) : d;

export const evaluationsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  // Built now (not on first request) so that runs left by a killed process resume at boot.
  evaluationServiceFor(ctx);
  const svc = () => evaluationServiceFor(ctx);
  const need = async (req: Request) => {
    const e = await svc().get(String(req.params.id));
    if (!e) throw new HttpError(404, 'not_found', `evaluation ${req.params.id} not found`);
    return e;
  };

  r.post('/api/evaluations', async (req, res) => {
    const body = parseBody(createEvaluationRequestSchema, req.body);
    const info = await svc().create({
      flow: (body.flowId ?? body.flow) as string | Flow,
      datasetId: body.datasetId,
      datasetVersionId: body.datasetVersionId,
      name: body.name,
      config: body.config as EvaluationConfigInput,
    });
    res.status(201).json({ evaluation: info });
  });

  r.get('/api/evaluations', async (req, res) => {
    const evaluations = await svc().store.list({
      flowId: typeof req.query.flowId === 'string' ? req.query.flowId : undefined,
      datasetId: typeof req.query.datasetId === 'string' ? req.query.datasetId : undefined,
      limit: queryInt(req, 'limit', 100, LIMIT(500)),
    });
    res.json({ evaluations });
  });

  r.get('/api/evaluations/compare', async (req, res) => {
    const a = String(req.query.a ?? '');
    const b = String(req.query.b ?? '');
    if (!a || !b) throw new HttpError(400, 'invalid_query', 'give two evaluations: ?a=<id>&b=<id>');
    const cmp = await compareEvaluations(svc().store, a, b, {
      rows: req.query.rows === '1' || req.query.rows === 'true',
      filter: (typeof req.query.filter === 'string' ? req.query.filter : 'all') as CompareFilter,
      metric: typeof req.query.metric === 'string' ? req.query.metric : undefined,
      offset: queryInt(req, 'offset', 0, OFFSET),
      limit: queryInt(req, 'limit', 200, LIMIT(1000)),
    });
    res.json(cmp);
  });

  r.get('/api/evaluations/preferences.jsonl', async (req, res) => {
    const a = String(req.query.a ?? '');
    const b = String(req.query.b ?? '');
    if (!a || !b) throw new HttpError(400, 'invalid_query', 'give the two compared evaluations: ?a=<id>&b=<id>');
    await stream(res, 'application/x-ndjson; charset=utf-8', 'preferences.jsonl', exportPreferences(svc().store, a, b));
  });

  r.get('/api/evaluations/:id', async (req, res) => {
    const e = await need(req);
    res.json({ evaluation: { ...e, concurrencyNow: svc().currentConcurrency(e.id) ?? null } });
  });

  r.get('/api/evaluations/:id/summary', async (req, res) => {
    const e = await need(req);
    res.json({
      summary: e.status === 'running' || !e.summary ? await computeSummary(svc().store, e.id, e.config) : e.summary,
    });
  });

  r.get('/api/evaluations/:id/events', async (req, res) => {
    const e = await need(req);
    const sse = openSse(req, res);
    const withRows = req.query.rows === '1';
    sse.send('progress', {
      type: 'progress',
      id: e.id,
      status: e.status,
      total: e.total,
      done: e.done,
      failed: e.failed,
      concurrency: svc().currentConcurrency(e.id) ?? 0,
    });
    if (e.status !== 'running' && e.status !== 'queued') {
      sse.send('finished', { type: 'finished', id: e.id, status: e.status, summary: e.summary });
      sse.end();
      return;
    }
    if (svc().currentConcurrency(e.id) === undefined) {
      // Not running in this process (another API process or worker holds it, or it is
      // about to be resumed): report from the database once a second.
      const timer = setInterval(() => {
        void svc()
          .get(e.id)
          .then((cur) => {
            if (!cur || sse.closed) return;
            sse.send('progress', {
              type: 'progress',
              id: cur.id,
              status: cur.status,
              total: cur.total,
              done: cur.done,
              failed: cur.failed,
              concurrency: svc().currentConcurrency(cur.id) ?? 0,
            });
            if (cur.status !== 'running' && cur.status !== 'queued') {
              clearInterval(timer);
              sse.send('finished', { type: 'finished', id: cur.id, status: cur.status, summary: cur.summary });
              sse.end();
            }
          });
      }, 1000);
      sse.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
      return;
    }
    const off = svc().subscribe(e.id, (ev: EvaluationEvent) => {
      if (ev.type === 'row' && !withRows) return;
      sse.send(ev.type, ev);
      if (ev.type === 'finished') {
        off();
        sse.end();
      }
    });
    sse.signal.addEventListener('abort', off, { once: true });
  });

  r.patch('/api/evaluations/:id', async (req, res) => {
    const e = await need(req);
    const { name } = parseBody(evaluationPatchSchema, req.body);
    await svc().store.rename(e.id, name);
    res.json({ evaluation: await need(req) });
  });

  r.delete('/api/evaluations/:id', async (req, res) => {
    const e = await need(req);
    if (e.status === 'running' || e.status === 'queued')
      throw new HttpError(409, 'running', 'cancel the evaluation before deleting it');
    await svc().store.delete(e.id);
    res.status(204).end();
  });

  r.post('/api/evaluations/:id/cancel', async (req, res) => {
    res.json({ evaluation: await svc().cancel(String(req.params.id)) });
  });

  r.post('/api/evaluations/:id/resume', async (req, res) => {
    const e = await need(req);
    if (e.status === 'completed') throw new HttpError(409, 'already_completed', 'the evaluation has finished');
    if (!(await svc().datasets.getVersion(e.datasetVersionId)))
      throw new HttpError(
        409,
        'dataset_deleted',
        'its dataset was deleted: the results so far are kept, the rest cannot run',
      );
    const started = await svc().start(e.id);
    if (!started) throw new HttpError(409, 'running_elsewhere', 'another process is running this evaluation');
    res.status(202).json({ evaluation: await svc().get(e.id) });
  });

  r.get('/api/evaluations/:id/results', async (req, res) => {
    const e = await need(req);
    const filter = req.query.filter === 'failed' || req.query.filter === 'succeeded' ? req.query.filter : 'all';
    const rows = await svc().store.results(e.id, {
      offset: queryInt(req, 'offset', 0, OFFSET),
      limit: queryInt(req, 'limit', 100, LIMIT(5000)),
      filter,
    });
    const human = reviewMetrics(await svc().store.reviews(e.id));
    res.json({
      total: e.total,
      done: e.done,
      rows: rows.map((row) => ({ ...row, metrics: { ...row.metrics, ...(human.get(row.rowIdx) ?? {}) } })),
    });
  });

  r.get('/api/evaluations/:id/results/:row', async (req, res) => {
    const e = await need(req);
    const row = await svc().store.result(e.id, int(req.params.row, -1));
    if (!row) throw new HttpError(404, 'not_found', `row ${req.params.row} has no result yet`);
    res.json({ row });
  });

  r.get('/api/evaluations/:id/export', async (req, res) => {
    const e = await need(req);
    const format = req.query.format === 'csv' ? 'csv' : 'jsonl';
    await stream(
      res,
      format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      `evaluation-${e.id}.${format}`,
      exportResults(svc().store, e.id, format, { bom: req.query.bom === '1' || req.query.bom === 'true' }),
    );
  });

  r.post('/api/evaluations/:id/reviews', async (req, res) => {
    const e = await need(req);
    const b = (req.body ?? {}) as Partial<ReviewInput>;
    const kinds = ['thumbs', 'rating', 'pairwise'];
    if (typeof b.rowIdx !== 'number' || !Number.isInteger(b.rowIdx) || b.rowIdx < 0 || b.rowIdx >= e.total)
      throw new HttpError(400, 'invalid_review', 'rowIdx must be a row of this evaluation');
    if (!b.kind || !kinds.includes(b.kind))
      throw new HttpError(400, 'invalid_review', 'kind must be thumbs, rating or pairwise');
    const v = b.value;
    const ok =
      typeof v === 'number' &&
      (b.kind === 'thumbs'
        ? v === 0 || v === 1
        : b.kind === 'rating'
          ? Number.isInteger(v) && v >= 1 && v <= 5
          : v === 0 || v === 0.5 || v === 1);
    if (!ok)
      throw new HttpError(
        400,
        'invalid_review',
        b.kind === 'thumbs'
          ? 'thumbs value is 0 or 1'
          : b.kind === 'rating'
            ? 'rating value is an integer 1–5'
            : 'pairwise value is 1 (this one won), 0 (the other won) or 0.5 (tie)',
      );
    if (b.kind === 'pairwise') {
      const other = typeof b.otherEvaluationId === 'string' ? await svc().get(b.otherEvaluationId) : undefined;
      if (!other) throw new HttpError(400, 'invalid_review', 'pairwise reviews name otherEvaluationId');
      if (other.datasetVersionId !== e.datasetVersionId)
        throw new HttpError(400, 'invalid_review', 'the other evaluation ran on a different dataset version');
    }
    const review = await svc().store.addReview(e.id, {
      rowIdx: b.rowIdx,
      kind: b.kind,
      value: v as number,
      ...(b.otherEvaluationId ? { otherEvaluationId: b.otherEvaluationId } : {}),
      ...(typeof b.comment === 'string' && b.comment ? { comment: b.comment.slice(0, 4000) } : {}),
      ...(typeof b.reviewer === 'string' && b.reviewer ? { reviewer: b.reviewer.slice(0, 200) } : {}),
    });
    res.status(201).json({ review });
  });

  r.get('/api/evaluations/:id/reviews', async (req, res) => {
    const e = await need(req);
    res.json({ reviews: await svc().store.reviews(e.id) });
  });

  return r;
};
