/**
 * The embedded index: one LanceDB table per knowledge base under
 * `<BRAID_DATA_DIR>/knowledge/lance`. LanceDB does the work: its inverted index scores
 * BM25, its vector search scans (or an ANN index, once built) by cosine distance.
 * Writes to one table are serialised here; each add/delete is one atomic commit.
 */
import * as lancedb from '@lancedb/lancedb';
import { Field, FixedSizeList, Float32, Int32, List, Schema, Utf8 } from 'apache-arrow';
import { ANALYZER_VERSION, analyzeForKeywords } from './analyzer';
import type { ChunkRecord, SearchHit } from './types';
import { KnowledgeError } from './types';

/**
 * The column BM25 indexes: the chunk text as the keyword analyzer rewrote it (CJK runs as
 * bigrams; see analyzer.ts). Its name carries the analyzer version, so a table built by an
 * older Braid (FTS on `text`, or an older `fts_v*`) is recognised and re-indexed.
 */
export const FTS_COLUMN = `fts_v${ANALYZER_VERSION}`;
/** Rows rewritten per commit while re-indexing a table built by an older analyzer. */
const UPGRADE_BATCH = 2_000;
/** Rows from which a vector table gets an ANN (IVF-PQ) index. */
export const VECTOR_INDEX_MIN_ROWS = 10_000;

interface Row {
  id: string;
  doc_id: string;
  gen: string;
  source: string;
  position: number;
  text: string;
  [FTS_COLUMN]?: string;
  metadata: string;
  tags: string[];
  vector?: number[];
  _score?: number;
  _distance?: number;
}

function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** A metadata value as the tag string filters match on. */
export function tagOf(key: string, value: unknown): string {
  return `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

/**
 * Metadata filter → SQL predicate. Every key must match; an array value matches any of
 * its items. `source` and `docId` use their columns; other keys the `tags` list.
 */
export function filterToSql(filter: Record<string, unknown> | undefined): string | undefined {
  if (!filter) return undefined;
  const parts: string[] = [];
  for (const [key, raw] of Object.entries(filter)) {
    const values = Array.isArray(raw) ? raw : [raw];
    if (!values.length) return 'false';
    if (key === 'source' || key === 'docId') {
      const col = key === 'source' ? 'source' : 'doc_id';
      parts.push(`${col} IN (${values.map((v) => sqlString(String(v))).join(', ')})`);
    } else {
      parts.push(`array_has_any(tags, make_array(${values.map((v) => sqlString(tagOf(key, v))).join(', ')}))`);
    }
  }
  return parts.length ? parts.join(' AND ') : undefined;
}

function schemaFor(dimensions: number | null): Schema {
  const fields: Field[] = [
    new Field('id', new Utf8(), false),
    new Field('doc_id', new Utf8(), false),
    new Field('gen', new Utf8(), false),
    new Field('source', new Utf8(), false),
    new Field('position', new Int32(), false),
    new Field('text', new Utf8(), false),
    new Field(FTS_COLUMN, new Utf8(), false),
    new Field('metadata', new Utf8(), false),
    new Field('tags', new List(new Field('item', new Utf8(), true)), true),
  ];
  if (dimensions)
    fields.push(new Field('vector', new FixedSizeList(dimensions, new Field('item', new Float32(), true)), true));
  return new Schema(fields);
}

function toHit(r: Row, score: number): SearchHit {
  return { id: r.id, text: r.text, score, metadata: JSON.parse(r.metadata) as Record<string, unknown> };
}

export class LanceIndex {
  private conn?: Promise<lancedb.Connection>;
  private tables = new Map<string, Promise<lancedb.Table | null>>();
  private locks = new Map<string, Promise<unknown>>();
  private ftsReady = new Set<string>();
  /** Tables known to carry the current keyword column (checked or upgraded). */
  private current = new Set<string>();
  /** Tables re-indexed by this process (reported once by `takeUpgraded`). */
  private upgraded = new Set<string>();

  constructor(private readonly dir: string) {}

  private connection(): Promise<lancedb.Connection> {
    // Re-check a table for commits by other processes (e.g. `braid kb ingest` while the
    // server runs) at most once a second on reads.
    this.conn ??= lancedb.connect(this.dir, { readConsistencyInterval: 1 });
    return this.conn;
  }

  private table(kb: string): Promise<lancedb.Table | null> {
    let t = this.tables.get(kb);
    if (!t) {
      t = this.connection().then(async (c) => ((await c.tableNames()).includes(kb) ? c.openTable(kb) : null));
      this.tables.set(kb, t);
      // Do not remember "absent": another process may create the table later.
      t.then(
        (v) => v === null && this.tables.delete(kb),
        () => this.tables.delete(kb),
      );
    }
    return t;
  }

  /** Run write operations on one table one at a time. */
  private exclusive<T>(kb: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(kb) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(
      kb,
      next.catch(() => undefined),
    );
    return next;
  }

  async create(kb: string, dimensions: number | null): Promise<void> {
    await this.exclusive(kb, async () => {
      const c = await this.connection();
      if ((await c.tableNames()).includes(kb)) return;
      const t = await c.createEmptyTable(kb, schemaFor(dimensions));
      this.tables.set(kb, Promise.resolve(t));
    });
  }

  async drop(kb: string): Promise<void> {
    await this.exclusive(kb, async () => {
      const c = await this.connection();
      if ((await c.tableNames()).includes(kb)) await c.dropTable(kb);
      this.tables.delete(kb);
      this.ftsReady.delete(kb);
      this.current.delete(kb);
    });
  }

  private async requireTable(kb: string): Promise<lancedb.Table> {
    const t = await this.table(kb);
    if (!t) throw new KnowledgeError('not_found', `knowledge base ${kb} has no index`);
    return t;
  }

  /**
   * Replace a document's chunks: add the new generation in one commit, then delete every
   * other generation of that document. A crash between the two leaves the old rows,
   * which `deleteStale` removes when the document is next committed or cleaned.
   */
  async replaceDocument(
    kb: string,
    docId: string,
    gen: string,
    chunks: ChunkRecord[],
    opts: { isNew?: boolean } = {},
  ): Promise<void> {
    await this.exclusive(kb, async () => {
      const t = await this.requireTable(kb);
      if (chunks.length) {
        const rows: Row[] = chunks.map((c) => ({
          id: c.id,
          doc_id: docId,
          gen,
          source: String(c.metadata.source ?? ''),
          position: Number(c.metadata.position ?? 0),
          text: c.text,
          [FTS_COLUMN]: analyzeForKeywords(c.text),
          metadata: JSON.stringify(c.metadata),
          tags: Object.entries(c.metadata)
            .filter(([k, v]) => k !== 'source' && k !== 'docId' && v !== null && typeof v !== 'object')
            .map(([k, v]) => tagOf(k, v)),
          ...(c.vector ? { vector: c.vector } : {}),
        }));
        await this.upgradeIfOld(kb, t);
        await t.add(rows as unknown as Array<Record<string, unknown>>);
        await this.ensureFts(kb, t);
      }
      // A document never recorded before has no older generation (start-up healing removes
      // rows of interrupted writes), so the delete — a scan — is skipped for it.
      if (!opts.isNew) await t.delete(`doc_id = ${sqlString(docId)} AND gen != ${sqlString(gen)}`);
    });
  }

  /** Delete every chunk of a document (or, with keepGen, every generation but that one). */
  async deleteDocument(kb: string, docId: string, keepGen?: string): Promise<void> {
    await this.exclusive(kb, async () => {
      const t = await this.table(kb);
      if (!t) return;
      await t.delete(`doc_id = ${sqlString(docId)}${keepGen ? ` AND gen != ${sqlString(keepGen)}` : ''}`);
    });
  }

  /**
   * Bring a table built by an older Braid to the current keyword analysis: add the
   * keyword column (a copy of `text`), rewrite the rows whose analysis differs (those with
   * CJK text) in batches, drop the old full-text index and column, and index the new
   * column. Idempotent and safe to repeat after a crash (each step checks its state).
   * Caller holds the table's write lock.
   */
  private async upgradeIfOld(kb: string, t: lancedb.Table): Promise<void> {
    if (this.current.has(kb)) return;
    const names = (await t.schema()).fields.map((f) => f.name);
    if (!names.includes(FTS_COLUMN)) {
      await t.addColumns([{ name: FTS_COLUMN, valueSql: 'text' }]);
      const rows = (await t.query().select(['id', 'text']).toArray()) as Array<{ id: string; text: string }>;
      const changed = rows
        .map((r) => ({ id: r.id, [FTS_COLUMN]: analyzeForKeywords(r.text) }))
        .filter((r, i) => r[FTS_COLUMN] !== rows[i].text);
      for (let i = 0; i < changed.length; i += UPGRADE_BATCH)
        await t
          .mergeInsert('id')
          .whenMatchedUpdateAll()
          .execute(changed.slice(i, i + UPGRADE_BATCH));
      this.upgraded.add(kb);
    }
    for (const idx of await t.listIndices())
      if (idx.indexType === 'FTS' && !idx.columns.includes(FTS_COLUMN)) await t.dropIndex(idx.name);
    const stale = names.filter((n) => /^fts_v\d+$/.test(n) && n !== FTS_COLUMN);
    if (stale.length) await t.dropColumns(stale);
    if ((await t.countRows()) > 0) {
      this.ftsReady.delete(kb);
      await this.ensureFts(kb, t);
    }
    this.current.add(kb);
  }

  /** Whether this process re-indexed the table since the last call (then forgets it). */
  takeUpgraded(kb: string): boolean {
    return this.upgraded.delete(kb);
  }

  /** Re-index every table built by an older analyzer (start-up; errors are returned, not thrown). */
  async upgradeAll(): Promise<Array<{ kb: string; error: string }>> {
    const failures: Array<{ kb: string; error: string }> = [];
    for (const kb of await (await this.connection()).tableNames()) {
      try {
        await this.exclusive(kb, async () => {
          const t = await this.table(kb);
          if (t) await this.upgradeIfOld(kb, t);
        });
      } catch (err) {
        failures.push({ kb, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return failures;
  }

  private async ensureFts(kb: string, t: lancedb.Table): Promise<void> {
    if (this.ftsReady.has(kb)) return;
    const indices = await t.listIndices();
    if (!indices.some((i) => i.columns.includes(FTS_COLUMN)))
      await t.createIndex(FTS_COLUMN, { config: lancedb.Index.fts() });
    this.ftsReady.add(kb);
  }

  /**
   * After an ingest job: compact small fragments and fold new rows into the indexes; once
   * a table with vectors reaches VECTOR_INDEX_MIN_ROWS, build its IVF-PQ index (below
   * that, an exact scan is fast enough). Later rows join the index on the next optimize.
   */
  async optimize(kb: string): Promise<void> {
    await this.exclusive(kb, async () => {
      const t = await this.table(kb);
      if (!t) return;
      await t.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
      // Rebuild the keyword index over every row: an index folded in increments scores BM25
      // with per-segment statistics, so the same question could rank the same chunks
      // differently depending on how the ingest was batched.
      if ((await t.listIndices()).some((i) => i.columns.includes(FTS_COLUMN)))
        await t.createIndex(FTS_COLUMN, { config: lancedb.Index.fts(), replace: true });
      const schema = await t.schema();
      const vec = schema.fields.find((f) => f.name === 'vector');
      if (!vec) return;
      const rows = await t.countRows();
      if (rows < VECTOR_INDEX_MIN_ROWS || (await t.listIndices()).some((i) => i.columns.includes('vector'))) return;
      const dims = (vec.type as FixedSizeList).listSize;
      const numSubVectors = [16, 8, 4, 2, 1].map((k) => dims / k).find((n) => Number.isInteger(n)) ?? 1;
      const numPartitions = Math.min(256, Math.max(8, Math.round(Math.sqrt(rows) / 7)));
      await t.createIndex('vector', {
        config: lancedb.Index.ivfPq({
          numPartitions,
          numSubVectors,
          distanceType: 'cosine',
          maxIterations: 10,
          sampleRate: 64,
        }),
      });
    });
  }

  async count(kb: string, docId?: string): Promise<number> {
    const t = await this.table(kb);
    if (!t) return 0;
    return t.countRows(docId ? `doc_id = ${sqlString(docId)}` : undefined);
  }

  async docIds(kb: string): Promise<Set<string>> {
    const t = await this.table(kb);
    if (!t) return new Set();
    const rows = (await t.query().select(['doc_id']).toArray()) as Array<{ doc_id: string }>;
    return new Set(rows.map((r) => r.doc_id));
  }

  async chunks(kb: string, docId: string, limit = 1000): Promise<SearchHit[]> {
    const t = await this.requireTable(kb);
    const rows = (await t
      .query()
      .where(`doc_id = ${sqlString(docId)}`)
      .select(['id', 'text', 'metadata', 'position'])
      .limit(limit)
      .toArray()) as Row[];
    return rows.sort((a, b) => a.position - b.position).map((r) => toHit(r, 0));
  }

  async bm25(kb: string, query: string, limit: number, filter?: string): Promise<SearchHit[]> {
    const t = await this.requireTable(kb);
    if (!this.current.has(kb)) await this.exclusive(kb, () => this.upgradeIfOld(kb, t));
    if (!(await t.listIndices()).some((i) => i.columns.includes(FTS_COLUMN))) return [];
    const analysed = analyzeForKeywords(query).trim();
    if (!analysed) return [];
    let q = t
      .query()
      .fullTextSearch(analysed, { columns: [FTS_COLUMN] })
      .select(['id', 'text', 'metadata', '_score'])
      .limit(limit);
    if (filter) q = q.where(filter);
    const rows = (await q.toArray()) as Row[];
    return rows.map((r) => toHit(r, r._score ?? 0));
  }

  async vector(kb: string, vector: number[], limit: number, filter?: string): Promise<SearchHit[]> {
    const t = await this.requireTable(kb);
    // nprobes/refineFactor apply once the IVF-PQ index exists: scan 20 partitions, then
    // re-rank 5× the candidates by exact cosine distance (so scores are exact).
    let q = t
      .query()
      .nearestTo(vector)
      .distanceType('cosine')
      .nprobes(20)
      .refineFactor(5)
      .select(['id', 'text', 'metadata', '_distance'])
      .limit(limit);
    if (filter) q = q.where(filter);
    const rows = (await q.toArray()) as Row[];
    return rows.map((r) => toHit(r, 1 - (r._distance ?? 1)));
  }

  close(): void {
    void this.conn?.then((c) => c.close()).catch(() => undefined);
    this.conn = undefined;
    this.tables.clear();
  }
}

/** Reciprocal-rank fusion: score = Σ 1 / (k + rank), rank from 1, over every list a hit appears in. */
export function reciprocalRankFusion(lists: SearchHit[][], topK: number, k = 60): SearchHit[] {
  const acc = new Map<string, { hit: SearchHit; score: number }>();
  for (const list of lists) {
    list.forEach((hit, i) => {
      const cur = acc.get(hit.id);
      const add = 1 / (k + i + 1);
      if (cur) cur.score += add;
      else acc.set(hit.id, { hit, score: add });
    });
  }
  return [...acc.values()]
    .sort((a, b) => b.score - a.score || a.hit.id.localeCompare(b.hit.id))
    .slice(0, topK)
    .map(({ hit, score }) => ({ ...hit, score }));
}
