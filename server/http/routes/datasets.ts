/**
 * Datasets: upload (raw CSV/JSONL body or multipart `file`), list, get, versions,
 * rows (preview/pages), append rows, delete. Uploads are streamed into storage.
 */
import type { Request, Response } from 'express';
import { Readable } from 'node:stream';
import type { ImportResult } from '../../datasets/store';
import { evaluationServiceFor } from '../../evaluation/http-context';
import type { RouteModule } from '../context';
import { createRouter } from '../context';
import { HttpError } from '../errors';
import { readMultipart } from '../multipart';
import { LIMIT, OFFSET, queryInt } from '../query';
import { parseBody } from '../validate';
import { appendRowsRequestSchema, datasetPatchSchema, type DatasetDeleteResult } from '../../../shared/api/evaluation';

/** Raw-body upload types (besides multipart and JSON); a body without a type is sniffed. */
const RAW_TYPES = new Set([
  'text/csv',
  'text/tab-separated-values',
  'text/plain',
  'application/x-ndjson',
  'application/jsonl',
  'application/x-jsonlines',
  'application/octet-stream',
]);
const ACCEPTED =
  'send CSV or JSONL as the raw body (Content-Type text/csv, application/x-ndjson, application/jsonl or text/plain), ' +
  'a multipart/form-data "file" part, or a JSON array of row objects (application/json)';

/** The content types the app-wide JSON parser consumes (server/http/middleware/json.ts). */
function isJsonType(mime: string): boolean {
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/**
 * A JSON body (already parsed, within BRAID_BODY_LIMIT) must be an array of row objects;
 * it is imported as JSONL so the rows go through the same checks as an uploaded file.
 */
function jsonRowsStream(body: unknown): Readable {
  if (!Array.isArray(body))
    throw new HttpError(
      400,
      'invalid_body',
      `a JSON dataset body must be an array of row objects; or ${ACCEPTED.replace(/, or a JSON.*$/, '')}`,
    );
  const bad = body.findIndex((r) => r === null || typeof r !== 'object' || Array.isArray(r));
  if (bad >= 0)
    throw new HttpError(400, 'invalid_rows', `row ${bad} is not an object`, {
      badRows: [{ line: bad + 1, message: 'not an object' }],
    });
  if (body.length === 0) throw new HttpError(400, 'empty_dataset', 'the JSON array has no rows');
  return Readable.from(body.map((row) => `${JSON.stringify(row)}\n`));
}

interface UploadSource {
  stream: Readable;
  filename?: string;
  contentType?: string;
  fields: Record<string, string>;
  /** Why the multipart body failed, once it has (a 400 for a malformed body). */
  failure?: () => HttpError | undefined;
}

/** The upload stream: the multipart `file` part, the raw body, or JSON rows. */
function uploadStream(req: Request, res: Response): Promise<UploadSource> {
  const ct = req.get('content-type') ?? '';
  const mime = ct.split(';')[0].trim().toLowerCase();
  if (isJsonType(mime))
    return Promise.resolve({ stream: jsonRowsStream(req.body), contentType: 'application/x-ndjson', fields: {} });
  if (mime !== 'multipart/form-data') {
    if (mime && !RAW_TYPES.has(mime))
      throw new HttpError(415, 'unsupported_media_type', `${mime} is not a dataset upload type: ${ACCEPTED}`);
    const filename = typeof req.query.filename === 'string' ? req.query.filename : undefined;
    return Promise.resolve({ stream: req, filename, contentType: ct, fields: {} });
  }
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let got = false;
    const mp = readMultipart(req, res, {
      limits: { files: 1, fields: 20 },
      defParamCharset: 'utf8', // browsers send file names as UTF-8 (評価データ.csv)
      onField: (name, value) => (fields[name] = value),
      onFile: (_name, file, info) => {
        got = true;
        resolve({ stream: file, filename: info.filename, contentType: info.mimeType, fields, failure: mp.error });
      },
    });
    mp.done.then(
      () => {
        if (!got) reject(new HttpError(400, 'missing_file', 'the multipart body has no file part'));
      },
      (err: HttpError) => {
        if (!got) reject(err);
      },
    );
  });
}

export const datasetsRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const ds = () => evaluationServiceFor(ctx).datasets;

  r.get('/api/datasets', async (_req, res) => {
    res.json({ datasets: await ds().list() });
  });

  const upload = async (
    req: Request,
    res: Response,
    target: { datasetId: string } | undefined,
  ): Promise<ImportResult> => {
    const up = await uploadStream(req, res);
    const name = String(req.query.name ?? up.fields.name ?? up.filename?.replace(/\.[^.]+$/, '') ?? '').trim();
    if (!target && !name) throw new HttpError(400, 'missing_name', 'give the dataset a name (?name=… or a file name)');
    try {
      return await ds().importStream(
        target ?? {
          name,
          description: typeof req.query.description === 'string' ? req.query.description : undefined,
        },
        up.stream,
        { filename: up.filename, contentType: up.contentType },
      );
    } catch (err) {
      // a malformed multipart body surfaces as a failed read of the file part: answer why
      throw up.failure?.() ?? err;
    }
  };

  r.post('/api/datasets', async (req, res) => {
    const result = await upload(req, res, undefined);
    res.status(201).json(result);
  });

  r.post('/api/datasets/:id/versions', async (req, res) => {
    const result = await upload(req, res, { datasetId: String(req.params.id) });
    res.status(result.reused ? 200 : 201).json(result);
  });

  r.post('/api/datasets/:id/rows', async (req, res) => {
    const { rows, source } = parseBody(appendRowsRequestSchema, req.body);
    const version = await ds().appendRows(String(req.params.id), rows, source ?? 'api');
    res.status(201).json({ version });
  });

  r.get('/api/datasets/:id', async (req, res) => {
    const d = await ds().get(String(req.params.id));
    if (!d) throw new HttpError(404, 'not_found', `dataset ${req.params.id} not found`);
    res.json({ dataset: d, versions: await ds().listVersions(d.id) });
  });

  r.patch('/api/datasets/:id', async (req, res) => {
    const patch = parseBody(datasetPatchSchema, req.body);
    res.json({ dataset: await ds().update(String(req.params.id), patch) });
  });

  /**
   * Deleting a dataset removes its versions and rows. Evaluations that used it stay, with
   * their results (each row's inputs, outputs and scores are stored with the evaluation);
   * they can no longer be resumed. A running or queued evaluation on it refuses the delete.
   */
  r.delete('/api/datasets/:id', async (req, res) => {
    const id = String(req.params.id);
    const used = await evaluationServiceFor(ctx).store.list({ datasetId: id, limit: 500 });
    const active = used.filter((e) => e.status === 'running' || e.status === 'queued');
    if (active.length > 0)
      throw new HttpError(
        409,
        'in_use',
        `evaluation ${active.map((e) => `"${e.name}"`).join(', ')} is running on this dataset; cancel it first`,
        { evaluations: active.map((e) => e.id) },
      );
    if (!(await ds().delete(id))) throw new HttpError(404, 'not_found', `dataset ${id} not found`);
    const result: DatasetDeleteResult = { deleted: true, evaluationsKept: used.length };
    res.json(result);
  });

  r.get('/api/dataset-versions/:versionId/rows', async (req, res) => {
    const v = await ds().getVersion(String(req.params.versionId));
    if (!v) throw new HttpError(404, 'not_found', `dataset version ${req.params.versionId} not found`);
    const rows = await ds().rows(v.id, {
      offset: queryInt(req, 'offset', 0, OFFSET),
      limit: queryInt(req, 'limit', 50, LIMIT(1000)),
    });
    res.json({ version: v, rows });
  });

  return r;
};
