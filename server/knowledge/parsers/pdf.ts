/** PDF → one section per page (pdf.js, legacy build for Node). */
import { KnowledgeError, type ParsedSection } from '../types';

interface TextItemLike {
  str?: string;
  hasEOL?: boolean;
}

export async function parsePdf(buf: Buffer, name: string): Promise<ParsedSection[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    data: new Uint8Array(buf),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
    verbosity: 0,
  });
  let doc: Awaited<typeof task.promise>;
  try {
    doc = await task.promise;
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name === 'PasswordException')
      throw new KnowledgeError('password_protected', `${name}: the PDF is password-protected`, { cause: err });
    throw new KnowledgeError('corrupt_file', `${name}: not a readable PDF (${e.message ?? String(err)})`, {
      cause: err,
    });
  }
  try {
    const sections: ParsedSection[] = [];
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      const text = (content.items as TextItemLike[])
        .map((it) => (it.str ?? '') + (it.hasEOL ? '\n' : ''))
        .join('')
        .replace(/[ \t]+/g, ' ')
        .trim();
      if (text) sections.push({ text, metadata: { page: p } });
      page.cleanup();
    }
    return sections;
  } catch (err) {
    throw new KnowledgeError('corrupt_file', `${name}: failed to read PDF text (${(err as Error).message})`, {
      cause: err,
    });
  } finally {
    await doc.destroy();
  }
}
