/** Plain text and markdown: decode as UTF-8 and refuse binary content posing as text. */
import { KnowledgeError, type ParsedSection } from '../types';

/** Decode bytes as UTF-8 text; throws binary_content when the bytes are not text. */
export function decodeText(buf: Buffer, name: string): string {
  const sample = buf.subarray(0, 8192);
  let control = 0;
  for (const b of sample) {
    if (b === 0) throw new KnowledgeError('binary_content', `${name}: binary content (NUL bytes) in a text file`);
    if (b < 9 || (b > 13 && b < 32)) control++;
  }
  if (sample.length > 0 && control / sample.length > 0.1)
    throw new KnowledgeError('binary_content', `${name}: looks like binary data, not text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    // Not UTF-8: accept Latin-1 only when it is mostly printable (checked above).
    text = buf.toString('latin1');
  }
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

export function parseText(buf: Buffer, name: string): ParsedSection[] {
  return [{ text: decodeText(buf, name), metadata: {} }];
}

/**
 * Markdown split into sections at headings (outside code fences); each section's
 * metadata.heading is the heading path, e.g. "Install > From npm".
 */
export function parseMarkdown(buf: Buffer, name: string): ParsedSection[] {
  const lines = decodeText(buf, name).split('\n');
  const sections: ParsedSection[] = [];
  const path: string[] = [];
  let current: string[] = [];
  let fence = false;
  const flush = (): void => {
    const text = current.join('\n').trim();
    if (text) sections.push({ text, metadata: path.length ? { heading: path.join(' > ') } : {} });
    current = [];
  };
  for (const line of lines) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = !fence ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (m) {
      flush();
      const level = m[1].length;
      path.length = Math.min(path.length, level - 1);
      path[level - 1] = m[2];
      for (let i = 0; i < path.length; i++) if (path[i] === undefined) path[i] = '';
    }
    current.push(line);
  }
  flush();
  return sections;
}
