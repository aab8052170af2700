/**
 * Knowledge bases: CRUD, multipart upload and URL ingest (background jobs with
 * progress), documents, chunk preview and query. Thin: the work is in server/knowledge.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import {
  createKnowledgeBaseSchema,
  ingestUrlsSchema,
  knowledgeQuerySchema,
  type IngestJobInfo,
  type IngestJobListResponse,
  type KnowledgeBaseInfo,
  type KnowledgeBaseListResponse,
  type KnowledgeChunkListResponse,
  type KnowledgeDocumentListResponse,
  type KnowledgeQueryResponse,
} from '../../../shared/api/knowledge';
import { knowledgeServiceFor, type KnowledgeService } from '../../knowledge/index';
import type { NewIngestItem } from '../../knowledge/service';
import { publicJob } from '../../knowledge/repo';
import { seedExampleKnowledgeBase } from '../../knowledge/seed';
import type { AppContext, RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError } from '../errors';
import { readMultipart } from '../multipart';
import { parseBody } from '../validate';

const MAX_FILES = 100;
/** Default of BRAID_UPLOAD_LIMIT: total bytes of one upload request. */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 200 * 1024 * 1024;

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    'payload_too_large',
    `the upload is over the ${limit}-byte limit per request (BRAID_UPLOAD_LIMIT)`,
  );
}

/**
 * Stream multipart files to the staging folder, capping each at the per-file limit without
 * buffering it, and the whole request at `limit` bytes: past it, reading stops, the staged
 * files are closed and the promise rejects with 413. A malformed body (server/http/
 * multipart.ts) rejects with 400. Either way every staged file is closed first, so the
 * caller's cleanup removes them all.
 */
async function receiveUpload(
  req: Request,
  res: Response,
  svc: KnowledgeService,
  stageDir: string,
  limit: number,
): Promise<{ items: NewIngestItem[]; fields: Record<string, string> }> {
  const items: NewIngestItem[] = [];
  const fields: Record<string, string> = {};
  const writes: Array<Promise<void>> = [];
  const outs: fs.WriteStream[] = [];
  fs.mkdirSync(stageDir, { recursive: true });
  const mp = readMultipart(req, res, {
    // fields are kept in memory: bound their number and size (busboy's default is unlimited)
    limits: { fileSize: svc.maxFileBytes, files: MAX_FILES, fields: 50, fieldSize: 64 * 1024 },
    defParamCharset: 'utf8',
    onField: (name, value) => (fields[name] = value),
    onFile: (_field, stream, info) => {
      const name = path.basename(info.filename || 'unnamed').slice(0, 255);
      const dest = path.join(stageDir, `${items.length}-${randomUUID().slice(0, 8)}`);
      const item: NewIngestItem = { name, kind: 'file', path: dest };
      items.push(item);
      const out = fs.createWriteStream(dest);
      outs.push(out);
      stream.on('limit', () => {
        item.error = { code: 'file_too_large', message: `${name}: over the ${svc.maxFileBytes}-byte limit` };
        delete item.path;
        stream.unpipe(out);
        out.destroy();
        fs.rm(dest, { force: true }, () => undefined);
        stream.resume();
      });
      writes.push(
        new Promise<void>((done) => {
          out.on('close', done);
          out.on('error', () => done());
        }),
      );
      stream.pipe(out);
    },
    onFilesLimit: () => new HttpError(413, 'too_many_files', `at most ${MAX_FILES} files per upload`),
    onFieldsLimit: () => new HttpError(413, 'too_many_fields', 'at most 50 form fields per upload'),
  });
  let received = 0;
  const count = (chunk: Buffer): void => {
    received += chunk.length;
    if (received > limit) mp.stop(tooLarge(limit));
  };
  req.on('data', count);
  try {
    await mp.done;
  } catch (err) {
    // a part cut short never ends its file: close them all before the caller removes the folder
    for (const out of outs) out.destroy();
    throw err;
  } finally {
    req.removeListener('data', count);
    await Promise.all(writes);
  }
  return { items, fields };
}

export const knowledgeRoutes: RouteModule = (ctx: AppContext) => {
  const svc = knowledgeServiceFor(ctx.config, ctx.storage);
  const ready = svc
    .start()
    .then(() => seedExampleKnowledgeBase(svc, ctx.config))
    .catch((err: unknown) => ctx.logger.warn({ err: (err as Error).message }, 'knowledge: start-up failed'));
  ctx.onClose(async () => {
    await ready;
    await svc.close();
  });
  const r = createRouter();
  const base = '/api/knowledge-bases';

  r.get(base, async (_req, res) => {
    res.json({ knowledgeBases: await svc.listKbs() } satisfies KnowledgeBaseListResponse);
  });
  r.post(base, async (req, res) => {
    const b = parseBody(createKnowledgeBaseSchema, req.body);
    const kb = await svc.createKb(b.name, {
      chunkSize: b.chunkSize ?? undefined,
      chunkOverlap: b.chunkOverlap ?? undefined,
      ...(b.embedding ? { embedding: b.embedding } : {}),
      ...(b.textColumn ? { textColumn: b.textColumn } : {}),
    });
    res.status(201).json(kb satisfies KnowledgeBaseInfo);
  });
  r.get(`${base}/:kb`, async (req, res) => {
    res.json((await svc.getKb(String(req.params.kb))) satisfies KnowledgeBaseInfo);
  });
  r.delete(`${base}/:kb`, async (req, res) => {
    await svc.deleteKb(String(req.params.kb));
    res.status(204).end();
  });

  r.post(`${base}/:kb/documents`, async (req, res) => {
    const kb = String(req.params.kb);
    const limit = ctx.config.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      // refused before reading a byte; the body is never read, so close the connection after
      res.setHeader('Connection', 'close');
      throw tooLarge(limit);
    }
    await svc.getKb(kb);
    const stageDir = path.join(svc.stagingDir, randomUUID());
    try {
      const { items } = await receiveUpload(req, res, svc, stageDir, limit);
      if (!items.length) throw new HttpError(400, 'invalid_body', 'no files in the upload (multipart field "files")');
      if (items.every((i) => i.error?.code === 'file_too_large'))
        throw new HttpError(
          413,
          'payload_too_large',
          items.length === 1 ? items[0]!.error!.message : `every file is over the ${svc.maxFileBytes}-byte limit`,
          { files: items.map((i) => ({ name: i.name, error: i.error })) },
        );
      const job = await svc.startIngest(kb, items);
      res.status(202).json(publicJob(job) satisfies IngestJobInfo);
    } catch (err) {
      fs.rmSync(stageDir, { recursive: true, force: true });
      throw err;
    }
  });
  r.post(`${base}/:kb/urls`, async (req, res) => {
    const b = parseBody(ingestUrlsSchema, req.body);
    const urls = b.urls ?? (b.url !== undefined ? [b.url] : []);
    const job = await svc.startIngest(
      String(req.params.kb),
      urls.map((u) => ({ name: u, kind: 'url' as const })),
    );
    res.status(202).json(publicJob(job) satisfies IngestJobInfo);
  });
  r.get(`${base}/:kb/documents`, async (req, res) => {
    res.json({ documents: await svc.listDocuments(String(req.params.kb)) } satisfies KnowledgeDocumentListResponse);
  });
  r.delete(`${base}/:kb/documents/:docId`, async (req, res) => {
    await svc.deleteDocument(String(req.params.kb), String(req.params.docId));
    res.status(204).end();
  });
  r.get(`${base}/:kb/documents/:docId/chunks`, async (req, res) => {
    const chunks = await svc.documentChunks(String(req.params.kb), String(req.params.docId));
    res.json({ chunks } satisfies KnowledgeChunkListResponse);
  });
  r.get(`${base}/:kb/jobs`, async (req, res) => {
    res.json({ jobs: (await svc.listJobs(String(req.params.kb))).map(publicJob) } satisfies IngestJobListResponse);
  });
  r.get(`${base}/:kb/jobs/:jobId`, async (req, res) => {
    res.json(publicJob(await svc.getJob(String(req.params.kb), String(req.params.jobId))) satisfies IngestJobInfo);
  });
  r.post(`${base}/:kb/query`, async (req, res) => {
    const b = parseBody(knowledgeQuerySchema, req.body);
    const started = performance.now();
    const out = await svc.searchDetailed(String(req.params.kb), b.query, {
      mode: b.mode,
      topK: b.topK,
      ...(b.minScore !== undefined ? { minScore: b.minScore } : {}),
      ...(b.filter ? { filter: b.filter } : {}),
    });
    res.json({
      mode: out.mode,
      requestedMode: out.requestedMode,
      topK: b.topK,
      tookMs: Math.round((performance.now() - started) * 10) / 10,
      notices: out.notices,
      results: out.hits,
    } satisfies KnowledgeQueryResponse);
  });
  return r;
};
