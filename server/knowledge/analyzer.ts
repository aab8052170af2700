/**
 * The keyword analyzer: what BM25 indexes and queries, for text in any language.
 *
 * LanceDB's full-text tokenizer splits on spaces and punctuation. Chinese and Japanese
 * have no spaces (and Korean attaches particles to words), so a sentence becomes one
 * giant token that no question matches. Before indexing (and on every query) Braid
 * rewrites each run of CJK characters (Han, Hiragana, Katakana, Hangul) into overlapping
 * character bigrams — the approach of Lucene's CJK analyzer — and leaves every other
 * character as it was, so English and other spaced languages are tokenized exactly as
 * before. Full-width letters and digits are folded to ASCII (NFKC) first.
 *
 * Bigrams were chosen by measurement over morphological analysis (kuromoji): see
 * bench/RESULTS.md ("Keyword search in Japanese") and docs/knowledge.md.
 */

/** Bumped whenever the analysis changes: an index built with another version is rebuilt. */
export const ANALYZER_VERSION = 2;

// Han (incl. extension A and compatibility ideographs), Hiragana, Katakana (incl. the
// prolonged sound mark and half-width forms after NFKC), Hangul syllables and jamo.
const CJK =
  /[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]/u;
const CJK_RUN =
  /[\u3041-\u309f\u30a0-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+/gu;

/** Whether the text has any CJK character (a fast check before rewriting). */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/** Overlapping character bigrams of one CJK run (a single character stays a unigram). */
function bigrams(run: string): string {
  // The CJK ranges matched are all in the Basic Multilingual Plane: one UTF-16 unit each.
  if (run.length < 2) return run;
  let out = run.slice(0, 2);
  for (let i = 1; i + 1 < run.length; i++) out += ' ' + run.slice(i, i + 2);
  return out;
}

/**
 * Text as the keyword index sees it: NFKC-normalised, each CJK run replaced by its
 * bigrams separated by spaces (with spaces around the run), everything else unchanged.
 */
export function analyzeForKeywords(text: string): string {
  const normalised = text.normalize('NFKC');
  if (!hasCjk(normalised)) return normalised;
  return normalised.replace(CJK_RUN, (run) => ` ${bigrams(run)} `);
}
