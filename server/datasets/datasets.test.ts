import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestStorage, type TestStorage } from '../../test/support/storage';
import { detectFormat, parseDataset } from './parse';
import { DatasetError, DatasetStore } from './store';

const stream = (text: string | Buffer) => Readable.from([Buffer.from(text)]);

async function collect(text: string, format: 'csv' | 'jsonl') {
  const out = [];
  for await (const r of parseDataset(stream(text), format)) out.push(r);
  return out;
}

describe('dataset parsing', () => {
  it('CSV: quoted fields, embedded newlines, BOM, and bad rows with their line numbers', async () => {
    const csv = '\uFEFFq,a\n"hello, world","multi\nline"\nonly-one-field\nx,y\n"unterminated,z\n';
    const rows = await collect(csv, 'csv');
    expect(rows[0]).toEqual({ kind: 'row', line: 2, data: { q: 'hello, world', a: 'multi\nline' } });
    expect(rows[1]).toMatchObject({ kind: 'error', line: 4 });
    expect(rows[2]).toEqual({ kind: 'row', line: 5, data: { q: 'x', a: 'y' } });
    expect(rows.some((r) => r.kind === 'error' && r.line >= 6)).toBe(true);
  });
  it('JSONL: line by line, invalid JSON and non-objects reported with line numbers, blank lines skipped', async () => {
    const rows = await collect('{"q":"a"}\n\n{bad\n[1,2]\n{"q":"b"}', 'jsonl');
    expect(rows).toEqual([
      { kind: 'row', line: 1, data: { q: 'a' } },
      expect.objectContaining({ kind: 'error', line: 3 }),
      { kind: 'error', line: 4, message: 'each line must be a JSON object' },
      { kind: 'row', line: 5, data: { q: 'b' } },
    ]);
  });
  it('JSONL: a multi-byte character split across chunks survives', async () => {
    const buf = Buffer.from('{"q":"zahăr"}\n');
    const split = buf.indexOf(0xc4) + 1;
    const rows = [];
    for await (const r of parseDataset(Readable.from([buf.subarray(0, split), buf.subarray(split)]), 'jsonl'))
      rows.push(r);
    expect(rows).toEqual([{ kind: 'row', line: 1, data: { q: 'zahăr' } }]);
  });
  it('refuses files that are not CSV or JSONL', () => {
    expect(() => detectFormat({ filename: 'x.xlsx', head: Buffer.from('PK\u0003\u0004....') })).toThrow(/ZIP/);
    expect(() => detectFormat({ filename: 'x.pdf', head: Buffer.from('%PDF-1.7') })).toThrow(/PDF/);
    expect(() => detectFormat({ filename: 'x.json', head: Buffer.from('[{"a":1}]') })).toThrow(/not a CSV or JSONL/);
    expect(() => detectFormat({ head: Buffer.from('[{"a":1}]') })).toThrow(/JSON array/);
    expect(() => detectFormat({ head: Buffer.from([1, 0, 2]) })).toThrow(/binary/);
    expect(detectFormat({ head: Buffer.from('{"a":1}\n') })).toBe('jsonl');
    expect(detectFormat({ head: Buffer.from('a,b\n1,2\n') })).toBe('csv');
    expect(detectFormat({ filename: 'd.ndjson', head: Buffer.from('{}') })).toBe('jsonl');
  });
});

describe('DatasetStore (SQLite)', () => {
  let t: TestStorage;
  let store: DatasetStore;
  beforeEach(async () => {
    t = await openTestStorage('sqlite');
    store = new DatasetStore(t.storage);
  });
  afterEach(() => t.dispose());

  it('imports a CSV as version 1, reuses the version for identical content, makes version 2 for changed content', async () => {
    const a = await store.importStream(
      { name: 'qa' },
      stream('question,expected\nWhat is 2+2?,4\nCapital of France?,Paris\n'),
      { filename: 'qa.csv' },
    );
    expect(a.version).toMatchObject({
      version: 1,
      rowCount: 2,
      columns: ['question', 'expected'],
      format: 'csv',
      status: 'ready',
    });
    expect(a.reused).toBe(false);
    const again = await store.importStream(
      { datasetId: a.dataset.id },
      stream('question,expected\nWhat is 2+2?,4\nCapital of France?,Paris\n'),
      { filename: 'qa.csv' },
    );
    expect(again.reused).toBe(true);
    expect(again.version.id).toBe(a.version.id);
    const b = await store.importStream({ datasetId: a.dataset.id }, stream('question,expected\nWhat is 2+2?,4\n'), {
      filename: 'qa.csv',
    });
    expect(b.version.version).toBe(2);
    expect((await store.get(a.dataset.id))?.latestVersion?.id).toBe(b.version.id);
    // version 1 is untouched (immutable)
    expect((await store.rows(a.version.id)).map((r) => r.data.expected)).toEqual(['4', 'Paris']);
    expect(await store.listVersions(a.dataset.id)).toHaveLength(2);
  });

  it('keeps good rows and reports bad ones with line numbers', async () => {
    const r = await store.importStream({ name: 'j' }, stream('{"q":1}\nnot json\n{"q":2}\n'), { filename: 'd.jsonl' });
    expect(r.version.rowCount).toBe(2);
    expect(r.version.badRowCount).toBe(1);
    expect(r.version.badRows[0].line).toBe(2);
    expect((await store.rows(r.version.id)).map((x) => x.line)).toEqual([1, 3]);
  });

  it('refuses a non-CSV/JSONL upload and an upload with no valid rows', async () => {
    await expect(
      store.importStream({ name: 'x' }, stream('%PDF-1.4 ...'), { filename: 'a.pdf' }),
    ).rejects.toMatchObject({ code: 'unsupported_format' });
    await expect(
      store.importStream({ name: 'y' }, stream('nope\n{bad\n'), { filename: 'a.jsonl' }),
    ).rejects.toBeInstanceOf(DatasetError);
    // refused uploads create nothing
    expect((await store.list()).map((d) => d.name)).not.toContain('y');
  });

  it('appends rows from elsewhere as a new version and iterates rows in pages', async () => {
    const r = await store.importStream({ name: 'logs' }, stream('{"q":"a"}\n'), { filename: 'l.jsonl' });
    const v2 = await store.appendRows(r.dataset.id, [{ q: 'b', expected: 'B' }], 'deployment');
    expect(v2).toMatchObject({ version: 2, rowCount: 2, source: 'deployment', format: 'rows' });
    expect(v2.columns.sort()).toEqual(['expected', 'q']);
    const seen: unknown[] = [];
    for await (const page of store.iterateRows(v2.id, { pageSize: 1 })) seen.push(...page.map((p) => p.data.q));
    expect(seen).toEqual(['a', 'b']);
  });

  it('streams 20k generated rows without buffering the file', async () => {
    const gen = Readable.from(
      (function* () {
        yield 'id,question,expected\n';
        for (let i = 0; i < 20_000; i++) yield `${i},"question ${i}, with comma",answer ${i}\n`;
      })(),
    );
    const r = await store.importStream({ name: 'big' }, gen, { filename: 'big.csv' });
    expect(r.version.rowCount).toBe(20_000);
    const page = await store.rows(r.version.id, { offset: 19_999, limit: 5 });
    expect(page).toEqual([
      {
        idx: 19_999,
        line: 20_001,
        data: { id: '19999', question: 'question 19999, with comma', expected: 'answer 19999' },
      },
    ]);
  });
});

describe('upload limit', () => {
  it('refuses a file above maxBytes with too_large and keeps nothing', async () => {
    const t = await openTestStorage('sqlite');
    const store = new DatasetStore(t.storage);
    const big = Readable.from(
      (function* () {
        yield 'a,b\n';
        for (let i = 0; i < 5000; i++) yield `${i},${'x'.repeat(50)}\n`;
      })(),
    );
    await expect(
      store.importStream({ name: 'big' }, big, { filename: 'big.csv', maxBytes: 64 * 1024 }),
    ).rejects.toMatchObject({ code: 'too_large' });
    expect(await store.list()).toEqual([]);
    expect(await store.db.selectFrom('dataset_versions').selectAll().execute()).toEqual([]);
    expect(await store.db.selectFrom('dataset_rows').selectAll().execute()).toEqual([]);
    await t.dispose();
  });
});
