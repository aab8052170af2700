/** Sections → chunks with LangChain's splitters (markdown-aware for markdown/html/docx, recursive otherwise). */
import { MarkdownTextSplitter, RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { KnowledgeBaseConfig, ParsedFile } from './types';

export interface DraftChunk {
  text: string;
  metadata: Record<string, string | number | boolean>;
}

export async function chunkFile(
  parsed: ParsedFile,
  cfg: Pick<KnowledgeBaseConfig, 'chunkSize' | 'chunkOverlap'>,
): Promise<DraftChunk[]> {
  const opts = { chunkSize: cfg.chunkSize, chunkOverlap: Math.min(cfg.chunkOverlap, Math.floor(cfg.chunkSize / 2)) };
  const markdownish = parsed.format === 'markdown' || parsed.format === 'html' || parsed.format === 'docx';
  const splitter = markdownish ? new MarkdownTextSplitter(opts) : new RecursiveCharacterTextSplitter(opts);
  const out: DraftChunk[] = [];
  for (const section of parsed.sections) {
    const pieces = section.text.length <= cfg.chunkSize ? [section.text] : await splitter.splitText(section.text);
    for (const piece of pieces) {
      const text = piece.trim();
      if (text) out.push({ text, metadata: { ...section.metadata, position: out.length } });
    }
  }
  return out;
}
