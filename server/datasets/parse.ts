/**
 * Streaming dataset parsers. CSV goes through csv-parse (RFC 4180: quoted fields,
 * embedded newlines, BOM); JSONL is read line by line. Neither holds more than one
 * record in memory; callers receive rows through an async iterator and bad rows are
 * reported with the line they start on instead of stopping the import.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';

export type DatasetFormat = 'csv' | 'jsonl';

export type DatasetRow = Record<string, unknown>;

export interface ParsedRow {
  kind: 'row';
  /** 1-based line number where the record starts. */
  line: number;
  data: DatasetRow;
}

export interface BadRow {
  kind: 'error';
  line: number;
  message: string;
}

export class DatasetFormatError extends Error {
  readonly code = 'unsupported_format';
  constructor(message: string) {
    super(message);
    this.name = 'DatasetFormatError';
  }
}

const CSV_EXT = /\.(csv|tsv)$/i;
const JSONL_EXT = /\.(jsonl|ndjson)$/i;

/**
 * Decide the format from the file name, then the content type, then the first bytes.
 * Refuses anything else (binary files, JSON arrays, spreadsheets…).
 */
export function detectFormat(opts: { filename?: string; contentType?: string; head: Buffer }): DatasetFormat {
  const { filename, head } = opts;
  const ct = (opts.contentType ?? '').split(';')[0].trim().toLowerCase();
  if (head.includes(0)) throw new DatasetFormatError('the file is binary; upload CSV or JSONL');
  if (head.subarray(0, 4).toString('latin1') === 'PK\u0003\u0004')
    throw new DatasetFormatError('the file is a ZIP/XLSX archive; export it as CSV');
  if (head.subarray(0, 5).toString('latin1') === '%PDF-')
    throw new DatasetFormatError('the file is a PDF; upload CSV or JSONL');
  if (filename && CSV_EXT.test(filename)) return 'csv';
  if (filename && JSONL_EXT.test(filename)) return 'jsonl';
  if (filename && /\.[a-z0-9]+$/i.test(filename) && !/\.txt$/i.test(filename)) {
    throw new DatasetFormatError(`"${filename}" is not a CSV or JSONL file (expected .csv, .jsonl or .ndjson)`);
  }
  if (ct === 'text/csv') return 'csv';
  if (ct === 'application/x-ndjson' || ct === 'application/jsonl' || ct === 'application/x-jsonlines') return 'jsonl';
  const first = head
    .toString('utf8')
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (first.startsWith('[')) throw new DatasetFormatError('a JSON array is not JSONL: put one JSON object per line');
  if (first.startsWith('{')) return 'jsonl';
  if (first.length > 0) return 'csv';
  throw new DatasetFormatError('the file is empty');
}

export class UploadTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than the upload limit (${Math.round(maxBytes / 2 ** 20)} MB)`);
    this.name = 'UploadTooLarge';
  }
}

/** A pass-through that hashes (sha256) and counts every byte, failing past `maxBytes`. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor(private readonly maxBytes = Infinity) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      cb(new UploadTooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }
  digest(): string {
    return this.hash.digest('hex');
  }
}

async function* parseJsonl(input: Readable): AsyncGenerator<ParsedRow | BadRow> {
  let line = 0;
  let rest = '';
  const decoder = new TextDecoder('utf-8');
  const handle = function* (text: string): Generator<ParsedRow | BadRow> {
    line++;
    const t = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (t === '') return;
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch (e) {
      yield { kind: 'error', line, message: `invalid JSON: ${(e as Error).message}` };
      return;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      yield { kind: 'error', line, message: 'each line must be a JSON object' };
      return;
    }
    yield { kind: 'row', line, data: v as DatasetRow };
  };
  for await (const chunk of input) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk as Buffer, { stream: true });
    let i: number;
    while ((i = rest.indexOf('\n')) >= 0) {
      const text = rest.slice(0, i);
      rest = rest.slice(i + 1);
      yield* handle(text);
    }
  }
  rest += decoder.decode();
  if (rest.length > 0) yield* handle(rest);
}

async function* parseCsv(input: Readable, delimiter: string): AsyncGenerator<ParsedRow | BadRow> {
  const errors: BadRow[] = [];
  let header: string[] | undefined;
  const parser = csvParse({
    bom: true,
    delimiter,
    relax_quotes: false,
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
    columns: (h: string[]) => {
      const cols = h.map((c) => c.trim());
      const seen = new Set<string>();
      cols.forEach((c, i) => {
        if (c === '') throw new Error(`CSV header: column ${i + 1} has no name`);
        if (seen.has(c)) throw new Error(`CSV header: duplicate column "${c}"`);
        seen.add(c);
      });
      header = cols;
      return cols;
    },
  });
  parser.on('skip', (err: Error & { lines?: number }) => {
    errors.push({ kind: 'error', line: err.lines ?? 0, message: err.message.replace(/^Invalid Record Length: /, '') });
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  for await (const rec of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number; records: number };
  }>) {
    // info.lines is the line where the record ends; records spanning lines start earlier.
    const data = rec.record;
    let nl = 0;
    for (const v of Object.values(data)) for (let k = 0; k < v.length; k++) if (v.charCodeAt(k) === 10) nl++;
    const line = rec.info.lines - nl;
    // 'skip' fires while the parser runs ahead of us: report errors in file order.
    while (errors.length && errors[0].line < line) yield errors.shift() as BadRow;
    yield { kind: 'row', line, data };
  }
  while (errors.length) yield errors.shift() as BadRow;
  if (!header) return;
}

/** Parse a CSV or JSONL stream into rows and bad-row reports, in file order. */
export function parseDataset(
  input: Readable,
  format: DatasetFormat,
  opts: { delimiter?: string } = {},
): AsyncGenerator<ParsedRow | BadRow> {
  return format === 'csv' ? parseCsv(input, opts.delimiter ?? ',') : parseJsonl(input);
}

/** Read the first `n` bytes of a stream without consuming them (returns the head and a stream of everything). */
export async function peekStream(input: Readable, n = 4096): Promise<{ head: Buffer; stream: Readable }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const it = input[Symbol.asyncIterator]();
  let done = false;
  while (size < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
    chunks.push(b);
    size += b.length;
  }
  const head = Buffer.concat(chunks);
  const { Readable: R } = await import('node:stream');
  const stream = R.from(
    (async function* () {
      if (head.length) yield head;
      if (done) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as string);
      }
    })(),
    { objectMode: false },
  );
  return { head: head.subarray(0, n), stream };
}
