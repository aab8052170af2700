/**
 * Datasets with immutable versions. An upload is stream-parsed straight into
 * `dataset_rows` in batches (never the whole file in memory) while its bytes are
 * hashed; an upload whose content hash equals an existing version of the same dataset
 * returns that version instead of creating a new one. Rows added programmatically
 * (e.g. logged calls) create a new version that copies the previous rows.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BadRowReport, DatasetInfo, DatasetRowRecord, DatasetVersionInfo } from '../../shared/api/evaluation';
import { fromJson, toJson, type Storage } from '../storage/index';
import { evalDb, type DatasetVersionsTable, type EvalDb } from '../evaluation/tables';
import {
  DatasetFormatError,
  HashingStream,
  UploadTooLarge,
  detectFormat,
  parseDataset,
  peekStream,
  type DatasetRow,
} from './parse';

/** Default upload limit (bytes). */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 * 2 ** 20;

export class DatasetError extends Error {
  constructor(
    readonly code: 'not_found' | 'unsupported_format' | 'empty_dataset' | 'invalid_rows' | 'too_large' | 'name_taken',
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'DatasetError';
  }
}

const BATCH = 500;
const MAX_BAD_ROWS_KEPT = 100;

type VersionRow = Omit<DatasetVersionsTable, 'row_count' | 'bad_row_count' | 'bytes'> & {
  row_count: number;
  bad_row_count: number;
  bytes: number;
};

function toVersion(r: VersionRow): DatasetVersionInfo {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    version: Number(r.version),
    status: r.status as DatasetVersionInfo['status'],
    contentHash: r.content_hash,
    format: r.format as DatasetVersionInfo['format'],
    source: r.source,
    filename: r.filename,
    rowCount: Number(r.row_count),
    badRowCount: Number(r.bad_row_count),
    badRows: fromJson<BadRowReport[]>(r.bad_rows, []),
    columns: fromJson<string[]>(r.columns, []),
    bytes: Number(r.bytes),
    createdAt: Number(r.created_at),
  };
}

export interface ImportResult {
  dataset: DatasetInfo;
  version: DatasetVersionInfo;
  /** True when identical content already existed as this version. */
  reused: boolean;
}

export class DatasetStore {
  readonly db: EvalDb;
  constructor(storage: Storage) {
    this.db = evalDb(storage);
  }

  async create(name: string, description?: string): Promise<DatasetInfo> {
    const now = Date.now();
    const id = randomUUID();
    await this.db
      .insertInto('datasets')
      .values({ id, name, description: description ?? null, created_at: now, updated_at: now, latest_version_id: null })
      .execute();
    return { id, name, description: description ?? null, createdAt: now, updatedAt: now, latestVersion: null };
  }

  async list(): Promise<DatasetInfo[]> {
    const rows = await this.db.selectFrom('datasets').selectAll().orderBy('updated_at', 'desc').limit(500).execute();
    const out: DatasetInfo[] = [];
    for (const r of rows) out.push(await this.info(r));
    return out;
  }

  async get(id: string): Promise<DatasetInfo | undefined> {
    const r = await this.db.selectFrom('datasets').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? this.info(r) : undefined;
  }

  async findByName(name: string): Promise<DatasetInfo | undefined> {
    const r = await this.db
      .selectFrom('datasets')
      .selectAll()
      .where('name', '=', name)
      .orderBy('created_at', 'asc')
      .executeTakeFirst();
    return r ? this.info(r) : undefined;
  }

  private async info(r: {
    id: string;
    name: string;
    description: string | null;
    created_at: number;
    updated_at: number;
    latest_version_id: string | null;
  }): Promise<DatasetInfo> {
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
      latestVersion: r.latest_version_id ? ((await this.getVersion(r.latest_version_id)) ?? null) : null,
    };
  }

  async getVersion(versionId: string): Promise<DatasetVersionInfo | undefined> {
    const r = await this.db.selectFrom('dataset_versions').selectAll().where('id', '=', versionId).executeTakeFirst();
    return r ? toVersion(r as VersionRow) : undefined;
  }

  async listVersions(datasetId: string): Promise<DatasetVersionInfo[]> {
    const rows = await this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset_id', '=', datasetId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map((r) => toVersion(r as VersionRow));
  }

  /** Rename and/or describe a dataset; a name another dataset has is refused (`name_taken`). */
  async update(id: string, patch: { name?: string; description?: string | null }): Promise<DatasetInfo> {
    const current = await this.get(id);
    if (!current) throw new DatasetError('not_found', `dataset ${id} not found`);
    if (patch.name !== undefined && patch.name !== current.name) {
      const other = await this.findByName(patch.name);
      if (other && other.id !== id)
        throw new DatasetError('name_taken', `another dataset is already called "${patch.name}"`, {
          issues: [{ path: 'name', message: 'another dataset has this name' }],
        });
    }
    await this.db
      .updateTable('datasets')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        updated_at: Date.now(),
      })
      .where('id', '=', id)
      .execute();
    return (await this.get(id)) as DatasetInfo;
  }

  async delete(datasetId: string): Promise<boolean> {
    const versions = await this.db
      .selectFrom('dataset_versions')
      .select('id')
      .where('dataset_id', '=', datasetId)
      .execute();
    for (const v of versions) await this.db.deleteFrom('dataset_rows').where('version_id', '=', v.id).execute();
    await this.db.deleteFrom('dataset_versions').where('dataset_id', '=', datasetId).execute();
    const r = await this.db.deleteFrom('datasets').where('id', '=', datasetId).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  private async nextVersionNumber(datasetId: string): Promise<number> {
    const r = await this.db
      .selectFrom('dataset_versions')
      .select((eb) => eb.fn.max('version').as('v'))
      .where('dataset_id', '=', datasetId)
      .executeTakeFirst();
    return Number(r?.v ?? 0) + 1;
  }

  private async insertRows(
    versionId: string,
    rows: Array<{ idx: number; line: number; data: DatasetRow }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    await this.db
      .insertInto('dataset_rows')
      .values(rows.map((r) => ({ version_id: versionId, idx: r.idx, line: r.line, data: JSON.stringify(r.data) })))
      .execute();
  }

  /**
   * Stream-import a CSV or JSONL file as a new version of `datasetId` (or of a new
   * dataset called `name`). Bad rows are skipped and reported with line numbers.
   */
  async importStream(
    target: { datasetId: string } | { name: string; description?: string },
    input: Readable,
    opts: { filename?: string; contentType?: string; source?: string; maxBytes?: number } = {},
  ): Promise<ImportResult> {
    const { head, stream } = await peekStream(input, 8192);
    let format: 'csv' | 'jsonl';
    try {
      format = detectFormat({ filename: opts.filename, contentType: opts.contentType, head });
    } catch (e) {
      stream.destroy();
      if (e instanceof DatasetFormatError) throw new DatasetError('unsupported_format', e.message);
      throw e;
    }
    let dataset: DatasetInfo | undefined;
    if ('datasetId' in target) {
      dataset = await this.get(target.datasetId);
      if (!dataset) {
        stream.destroy();
        throw new DatasetError('not_found', `dataset ${target.datasetId} not found`);
      }
      return this.importVersion(dataset, format, stream, opts);
    }
    // A dataset made for this upload exists only if the upload succeeds: any refusal
    // (no valid rows, too large, unparsable) removes it again with its version and rows.
    dataset = await this.create(target.name, target.description);
    try {
      return await this.importVersion(dataset, format, stream, opts);
    } catch (e) {
      await this.delete(dataset.id);
      throw e;
    }
  }

  private async importVersion(
    dataset: DatasetInfo,
    format: 'csv' | 'jsonl',
    stream: Readable,
    opts: { filename?: string; source?: string; maxBytes?: number },
  ): Promise<ImportResult> {
    const versionId = randomUUID();
    const now = Date.now();
    const version = await this.nextVersionNumber(dataset.id);
    await this.db
      .insertInto('dataset_versions')
      .values({
        id: versionId,
        dataset_id: dataset.id,
        version,
        status: 'importing',
        content_hash: null,
        format,
        source: opts.source ?? 'upload',
        filename: opts.filename ?? null,
        columns: '[]',
        bad_rows: '[]',
        created_at: now,
      })
      .execute();

    const hasher = new HashingStream(opts.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES);
    stream.on('error', (e) => hasher.destroy(e));
    stream.pipe(hasher);
    const columns = new Set<string>();
    const badRows: BadRowReport[] = [];
    let badCount = 0;
    let idx = 0;
    let batch: Array<{ idx: number; line: number; data: DatasetRow }> = [];
    try {
      const delimiter = opts.filename && /\.tsv$/i.test(opts.filename) ? '\t' : ',';
      for await (const item of parseDataset(hasher, format, { delimiter })) {
        if (item.kind === 'error') {
          badCount++;
          if (badRows.length < MAX_BAD_ROWS_KEPT) badRows.push({ line: item.line, message: item.message });
          continue;
        }
        for (const k of Object.keys(item.data)) columns.add(k);
        batch.push({ idx: idx++, line: item.line, data: item.data });
        if (batch.length >= BATCH) {
          await this.insertRows(versionId, batch);
          batch = [];
        }
      }
      await this.insertRows(versionId, batch);
    } catch (e) {
      await this.discardVersion(versionId);
      if (e instanceof UploadTooLarge || hasher.bytes > (opts.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES)) {
        stream.destroy();
        throw new DatasetError('too_large', new UploadTooLarge(opts.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES).message);
      }
      throw new DatasetError(
        'unsupported_format',
        `could not parse the ${format.toUpperCase()} file: ${(e as Error).message}`,
      );
    }
    if (idx === 0) {
      await this.discardVersion(versionId);
      throw new DatasetError(
        badCount > 0 ? 'invalid_rows' : 'empty_dataset',
        badCount > 0
          ? `no valid rows (${badCount} bad rows; first at line ${badRows[0]?.line})`
          : 'the file has no rows',
        badCount > 0 ? { badRows } : undefined,
      );
    }
    const hash = hasher.digest();
    const existing = await this.db
      .selectFrom('dataset_versions')
      .selectAll()
      .where('dataset_id', '=', dataset.id)
      .where('content_hash', '=', hash)
      .where('status', '=', 'ready')
      .executeTakeFirst();
    if (existing) {
      await this.discardVersion(versionId);
      return {
        dataset: (await this.get(dataset.id)) as DatasetInfo,
        version: toVersion(existing as VersionRow),
        reused: true,
      };
    }
    await this.db
      .updateTable('dataset_versions')
      .set({
        status: 'ready',
        content_hash: hash,
        row_count: idx,
        bad_row_count: badCount,
        bad_rows: toJson(badRows) ?? '[]',
        columns: toJson([...columns]) ?? '[]',
        bytes: hasher.bytes,
      })
      .where('id', '=', versionId)
      .execute();
    await this.db
      .updateTable('datasets')
      .set({ latest_version_id: versionId, updated_at: Date.now() })
      .where('id', '=', dataset.id)
      .execute();
    return {
      dataset: (await this.get(dataset.id)) as DatasetInfo,
      version: (await this.getVersion(versionId)) as DatasetVersionInfo,
      reused: false,
    };
  }

  private async discardVersion(versionId: string): Promise<void> {
    await this.db.deleteFrom('dataset_rows').where('version_id', '=', versionId).execute();
    await this.db.deleteFrom('dataset_versions').where('id', '=', versionId).execute();
  }

  /**
   * Add rows from elsewhere (logged calls, reviews…): a new version holding the latest
   * version's rows followed by these.
   */
  async appendRows(datasetId: string, rows: DatasetRow[], source = 'api'): Promise<DatasetVersionInfo> {
    const dataset = await this.get(datasetId);
    if (!dataset) throw new DatasetError('not_found', `dataset ${datasetId} not found`);
    const bad = rows.findIndex((r) => r === null || typeof r !== 'object' || Array.isArray(r));
    if (bad >= 0) throw new DatasetError('invalid_rows', `row ${bad} is not an object`);
    const prev = dataset.latestVersion;
    const versionId = randomUUID();
    const columns = new Set(prev?.columns ?? []);
    for (const r of rows) for (const k of Object.keys(r)) columns.add(k);
    const hash = createHash('sha256')
      .update(prev?.contentHash ?? '')
      .update('\n+')
      .update(JSON.stringify(rows))
      .digest('hex');
    await this.db
      .insertInto('dataset_versions')
      .values({
        id: versionId,
        dataset_id: datasetId,
        version: await this.nextVersionNumber(datasetId),
        status: 'importing',
        content_hash: hash,
        format: 'rows',
        source,
        filename: null,
        columns: toJson([...columns]) ?? '[]',
        bad_rows: '[]',
        created_at: Date.now(),
      })
      .execute();
    let count = 0;
    if (prev) {
      for await (const page of this.iterateRows(prev.id)) {
        await this.insertRows(
          versionId,
          page.map((r) => ({ idx: r.idx, line: r.line, data: r.data })),
        );
        count += page.length;
      }
    }
    for (let i = 0; i < rows.length; i += BATCH) {
      await this.insertRows(
        versionId,
        rows.slice(i, i + BATCH).map((data, j) => ({ idx: count + i + j, line: 0, data })),
      );
    }
    count += rows.length;
    await this.db
      .updateTable('dataset_versions')
      .set({ status: 'ready', row_count: count })
      .where('id', '=', versionId)
      .execute();
    await this.db
      .updateTable('datasets')
      .set({ latest_version_id: versionId, updated_at: Date.now() })
      .where('id', '=', datasetId)
      .execute();
    return (await this.getVersion(versionId)) as DatasetVersionInfo;
  }

  /** One page of rows, by position. */
  async rows(versionId: string, opts: { offset?: number; limit?: number } = {}): Promise<DatasetRowRecord[]> {
    const offset = Math.max(0, Math.floor(opts.offset ?? 0));
    const limit = Math.min(1000, Math.max(1, Math.floor(opts.limit ?? 50)));
    const rows = await this.db
      .selectFrom('dataset_rows')
      .select(['idx', 'line', 'data'])
      .where('version_id', '=', versionId)
      .where('idx', '>=', offset)
      .orderBy('idx')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      idx: Number(r.idx),
      line: Number(r.line),
      data: JSON.parse(r.data) as Record<string, unknown>,
    }));
  }

  /** Every row of a version in pages (keyset over idx), optionally skipping some. */
  async *iterateRows(
    versionId: string,
    opts: { pageSize?: number; skip?: (idx: number) => boolean } = {},
  ): AsyncGenerator<DatasetRowRecord[]> {
    const pageSize = opts.pageSize ?? BATCH;
    let from = 0;
    for (;;) {
      const page = await this.db
        .selectFrom('dataset_rows')
        .select(['idx', 'line', 'data'])
        .where('version_id', '=', versionId)
        .where('idx', '>=', from)
        .orderBy('idx')
        .limit(pageSize)
        .execute();
      if (page.length === 0) return;
      from = Number(page[page.length - 1].idx) + 1;
      const out: DatasetRowRecord[] = [];
      for (const r of page) {
        const i = Number(r.idx);
        if (opts.skip?.(i)) continue;
        out.push({ idx: i, line: Number(r.line), data: JSON.parse(r.data) as Record<string, unknown> });
      }
      if (out.length) yield out;
    }
  }
}
