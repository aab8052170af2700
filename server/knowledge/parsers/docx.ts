/** DOCX → markdown-ish text via mammoth (headings become `#` lines, so chunks keep them). */
import { KnowledgeError } from '../types';
import { htmlToText } from './html';

export async function parseDocx(buf: Buffer, name: string): Promise<string> {
  if (buf.subarray(0, 2).toString('latin1') !== 'PK')
    throw new KnowledgeError('corrupt_file', `${name}: not a .docx file (not a zip archive)`);
  const mammoth = (await import('mammoth')).default;
  try {
    const res = await mammoth.convertToHtml({ buffer: buf });
    return htmlToText(`<body>${res.value}</body>`).text;
  } catch (err) {
    throw new KnowledgeError('corrupt_file', `${name}: not a readable .docx (${(err as Error).message})`, {
      cause: err,
    });
  }
}
