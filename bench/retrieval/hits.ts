/**
 * Keyword-search quality per language: top-1 / top-3 hit rates of BM25 over the retrieval
 * set in server/knowledge/retrieval-set.test-support.ts (Japanese, English, Chinese,
 * Korean paragraphs with questions whose answer paragraph is known).
 *
 * Compares, in one run, on LanceDB's own full-text index:
 *   default  — the raw text with LanceDB's default tokenizer (Braid before analyzer v2)
 *   bigram   — server/knowledge/analyzer.ts (CJK runs → character bigrams; what Braid uses)
 *   kuromoji — Japanese morphological analysis (kuromoji, IPADIC) on CJK runs
 *   ngram    — LanceDB's built-in ngram tokenizer (2–3) on the raw text
 * (server/knowledge/cjk-search.test.ts checks that the product's ingest + search path gets
 * the `bigram` numbers.)
 *
 *   npm run bench -- retrieval-hits
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as lancedb from '@lancedb/lancedb';
import type { Tokenizer, IpadicFeatures } from 'kuromoji';
import { analyzeForKeywords } from '../../server/knowledge/analyzer';
import {
  RETRIEVAL_DOCUMENTS,
  RETRIEVAL_QUESTIONS,
  type SetDocument,
} from '../../server/knowledge/retrieval-set.test-support';

type Analyze = (text: string) => string;

interface Strategy {
  name: string;
  analyze: Analyze;
  fts: Partial<lancedb.FtsOptions>;
}

async function kuromojiTokenizer(): Promise<Tokenizer<IpadicFeatures>> {
  const require = createRequire(import.meta.url);
  const kuromoji = require('kuromoji') as typeof import('kuromoji');
  const dicPath = path.join(path.dirname(require.resolve('kuromoji/package.json')), 'dict');
  return new Promise((resolve, reject) =>
    kuromoji.builder({ dicPath }).build((err, t) => (err ? reject(err) : resolve(t))),
  );
}

const CJK_RUN = /[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+/gu;

function rows(docs: SetDocument[], analyze: Analyze): Array<{ id: string; lang: string; fts: string }> {
  return docs.flatMap((d) => d.paragraphs.map((p, i) => ({ id: `${d.name}#${i}`, lang: d.lang, fts: analyze(p) })));
}

async function measure(
  db: lancedb.Connection,
  s: Strategy,
): Promise<Map<string, { n: number; top1: number; top3: number; empty: number }>> {
  const table = await db.createTable(s.name, rows(RETRIEVAL_DOCUMENTS, s.analyze));
  await table.createIndex('fts', { config: lancedb.Index.fts(s.fts) });
  const byLang = new Map<string, { n: number; top1: number; top3: number; empty: number }>();
  for (const q of RETRIEVAL_QUESTIONS) {
    const r = byLang.get(q.lang) ?? { n: 0, top1: 0, top3: 0, empty: 0 };
    byLang.set(q.lang, r);
    r.n++;
    const query = s.analyze(q.question).trim();
    let ids: string[] = [];
    if (query) {
      const hits = (await table
        .query()
        .fullTextSearch(query, { columns: ['fts'] })
        .select(['id', '_score'])
        .limit(3)
        .toArray()) as Array<{ id: string }>;
      ids = hits.map((h) => h.id);
    }
    if (ids.length === 0) r.empty++;
    if (ids[0] === q.answer) r.top1++;
    if (ids.includes(q.answer)) r.top3++;
  }
  return byLang;
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-hits-'));
  const db = await lancedb.connect(dir);
  const tok = await kuromojiTokenizer();
  const kuromojiAnalyze: Analyze = (text) =>
    text.normalize('NFKC').replace(
      CJK_RUN,
      (run) =>
        ` ${tok
          .tokenize(run)
          .map((t) => t.surface_form)
          .join(' ')} `,
    );
  const strategies: Strategy[] = [
    { name: 'default', analyze: (t) => t, fts: {} },
    { name: 'bigram', analyze: analyzeForKeywords, fts: {} },
    { name: 'kuromoji', analyze: kuromojiAnalyze, fts: {} },
    { name: 'ngram', analyze: (t) => t, fts: { baseTokenizer: 'ngram', ngramMinLength: 2, ngramMaxLength: 3 } },
  ];
  const langs = ['ja', 'en', 'zh', 'ko'];
  console.log(
    `retrieval set: ${RETRIEVAL_DOCUMENTS.reduce((n, d) => n + d.paragraphs.length, 0)} chunks, ${RETRIEVAL_QUESTIONS.length} questions`,
  );
  console.log(`| strategy | ${langs.map((l) => `${l} top-1 | ${l} top-3 | ${l} no hit`).join(' | ')} |`);
  for (const s of strategies) {
    const res = await measure(db, s);
    const cells = langs.map((l) => {
      const r = res.get(l)!;
      return `${r.top1}/${r.n} | ${r.top3}/${r.n} | ${r.empty}`;
    });
    console.log(`| ${s.name} | ${cells.join(' | ')} |`);
  }
  // Cost of the analysis itself, per 1,000 characters of Japanese text (ingest and query).
  const ja = RETRIEVAL_DOCUMENTS.filter((d) => d.lang === 'ja').flatMap((d) => d.paragraphs);
  const chars = ja.reduce((n, p) => n + p.length, 0);
  const rounds = 2_000;
  for (let i = 0; i < 200; i++) for (const p of ja) analyzeForKeywords(p);
  const t0 = performance.now();
  for (let i = 0; i < rounds; i++) for (const p of ja) analyzeForKeywords(p);
  const us = ((performance.now() - t0) * 1000) / ((rounds * chars) / 1000);
  console.log(`bigram analysis: ${us.toFixed(1)} µs per 1,000 Japanese characters`);
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
