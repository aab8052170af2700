/** Pick a parser by extension (or content type for URLs) and return sections of text. */
import path from 'node:path';
import { KnowledgeError, type ParsedFile } from '../types';
import { parseDocx } from './docx';
import { parseHtml } from './html';
import { parsePdf } from './pdf';
import { parseCsv, parseJsonl } from './table';
import { parseMarkdown, parseText } from './text';

export const SUPPORTED_EXTENSIONS = [
  '.txt',
  '.text',
  '.md',
  '.markdown',
  '.html',
  '.htm',
  '.pdf',
  '.docx',
  '.csv',
  '.jsonl',
  '.ndjson',
] as const;

const BY_CONTENT_TYPE: Record<string, string> = {
  'text/html': '.html',
  'application/xhtml+xml': '.html',
  'text/plain': '.txt',
  'text/markdown': '.md',
  'application/pdf': '.pdf',
  'text/csv': '.csv',
  'application/x-ndjson': '.jsonl',
  'application/jsonl': '.jsonl',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': '.docx',
};

/** The parser key for a file name (or a URL's content type when the name has no known extension). */
export function formatOf(name: string, contentType?: string): string {
  const ext = path.extname(name.split(/[?#]/)[0]).toLowerCase();
  if ((SUPPORTED_EXTENSIONS as readonly string[]).includes(ext)) return ext;
  const ct = contentType?.split(';')[0].trim().toLowerCase();
  if (ct && BY_CONTENT_TYPE[ct]) return BY_CONTENT_TYPE[ct];
  throw new KnowledgeError(
    'unsupported_type',
    `${name}: unsupported file type "${ext || contentType || 'none'}" (supported: ${SUPPORTED_EXTENSIONS.join(' ')})`,
  );
}

export async function parseFile(
  buf: Buffer,
  name: string,
  opts: { contentType?: string; textColumn?: string } = {},
): Promise<ParsedFile> {
  const ext = formatOf(name, opts.contentType);
  if (buf.length === 0) throw new KnowledgeError('empty_file', `${name}: the file is empty`);
  let parsed: ParsedFile;
  switch (ext) {
    case '.md':
    case '.markdown':
      parsed = { format: 'markdown', sections: parseMarkdown(buf, name) };
      break;
    case '.html':
    case '.htm': {
      const { markdown, title } = parseHtml(buf, name);
      parsed = {
        format: 'html',
        sections: parseMarkdown(Buffer.from(markdown), name).map((s) =>
          title ? { ...s, metadata: { title, ...s.metadata } } : s,
        ),
      };
      break;
    }
    case '.pdf':
      parsed = { format: 'pdf', sections: await parsePdf(buf, name) };
      break;
    case '.docx':
      parsed = { format: 'docx', sections: parseMarkdown(Buffer.from(await parseDocx(buf, name)), name) };
      break;
    case '.csv':
      parsed = { format: 'csv', sections: parseCsv(buf, name, opts.textColumn) };
      break;
    case '.jsonl':
    case '.ndjson':
      parsed = { format: 'jsonl', sections: parseJsonl(buf, name, opts.textColumn) };
      break;
    default:
      parsed = { format: 'text', sections: parseText(buf, name) };
  }
  if (!parsed.sections.some((s) => s.text.trim())) throw new KnowledgeError('empty_file', `${name}: no text found`);
  return parsed;
}
