/** CSV and JSONL: one section per row; the text column is the text, other columns metadata. */
import { KnowledgeError, type ParsedSection } from '../types';
import { decodeText } from './text';

/** RFC 4180 CSV (quoted fields, doubled quotes, newlines inside quotes). */
export function parseCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (quoted) throw new KnowledgeError('corrupt_file', 'unterminated quoted field');
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

type Scalar = string | number | boolean;

function pickColumn(records: Array<Record<string, unknown>>, wanted: string | undefined, name: string): string {
  const keys = new Set(records.flatMap((r) => Object.keys(r)));
  if (wanted) {
    if (!keys.has(wanted))
      throw new KnowledgeError('invalid', `${name}: no column "${wanted}" (columns: ${[...keys].join(', ')})`);
    return wanted;
  }
  for (const k of ['text', 'content', 'body']) if (keys.has(k)) return k;
  let best = '';
  let bestLen = -1;
  for (const k of keys) {
    const len = records.reduce((n, r) => n + (typeof r[k] === 'string' ? (r[k] as string).length : 0), 0);
    if (len > bestLen) [best, bestLen] = [k, len];
  }
  if (!best) throw new KnowledgeError('empty_file', `${name}: no columns`);
  return best;
}

function toSections(
  records: Array<Record<string, unknown>>,
  column: string | undefined,
  name: string,
): ParsedSection[] {
  const col = pickColumn(records, column, name);
  const sections: ParsedSection[] = [];
  records.forEach((r, i) => {
    const text = r[col] === undefined || r[col] === null ? '' : String(r[col]).trim();
    if (!text) return;
    const metadata: Record<string, Scalar> = { row: i + 1 };
    for (const [k, v] of Object.entries(r)) {
      if (k === col || v === null || v === undefined) continue;
      metadata[k] = typeof v === 'number' || typeof v === 'boolean' ? v : typeof v === 'string' ? v : JSON.stringify(v);
    }
    sections.push({ text, metadata });
  });
  return sections;
}

export function parseCsv(buf: Buffer, name: string, textColumn?: string): ParsedSection[] {
  let rows: string[][];
  try {
    rows = parseCsvRows(decodeText(buf, name));
  } catch (err) {
    if (err instanceof KnowledgeError && err.code !== 'corrupt_file') throw err;
    throw new KnowledgeError('corrupt_file', `${name}: invalid CSV (${(err as Error).message})`);
  }
  if (rows.length < 2)
    throw new KnowledgeError('empty_file', `${name}: a CSV needs a header row and at least one data row`);
  const header = rows[0].map((h) => h.trim());
  const records = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
  return toSections(records, textColumn, name);
}

export function parseJsonl(buf: Buffer, name: string, textColumn?: string): ParsedSection[] {
  const records: Array<Record<string, unknown>> = [];
  decodeText(buf, name)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        throw new KnowledgeError('corrupt_file', `${name}: line ${i + 1} is not valid JSON`);
      }
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw new KnowledgeError('corrupt_file', `${name}: line ${i + 1} is not a JSON object`);
      records.push(v as Record<string, unknown>);
    });
  if (!records.length) throw new KnowledgeError('empty_file', `${name}: no records`);
  return toSections(records, textColumn, name);
}
