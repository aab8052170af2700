/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum as Google's rouge-score package computes them
 * (github.com/google-research/google-research/tree/master/rouge). Tokenizers:
 * - `default`, rouge-score's: lower-cases, replaces every run of non-[a-z0-9] characters
 *   with a space and drops empty tokens; no stemming. Anything outside a–z0–9 is
 *   dropped, so Japanese or Chinese text has no tokens at all and scores 0;
 * - `char`: every character but whitespace, punctuation and symbols (lower-cased);
 * - `ja`: the Japanese morphological analyzer (./japanese.ts), lower-cased, without
 *   whitespace, punctuation and symbol tokens.
 * Scores are { precision, recall, fmeasure } in 0..1.
 */
import type { RougeTokenizer } from '../../../shared/api/metrics';
import { isPyWhitespace, type TokenizeFn } from './tokenizers';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeType = 'rouge1' | 'rouge2' | 'rougeL' | 'rougeLsum';

export function rougeTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .filter((t) => /^[a-z0-9]+$/.test(t));
}

const PUNCT_OR_SYMBOL = /^[\p{P}\p{S}]+$/u;

/** Characters, without whitespace, punctuation and symbols. */
export function rougeCharTokenize(text: string): string[] {
  return Array.from(text.toLowerCase()).filter((c) => !isPyWhitespace(c) && !PUNCT_OR_SYMBOL.test(c));
}

/** The tokenizer of a ROUGE `tokenizer` option (`ja` needs the loaded analyzer). */
export function rougeTokenizer(name: RougeTokenizer | undefined, ja?: TokenizeFn): TokenizeFn {
  if (name === 'char') return rougeCharTokenize;
  if (name === 'ja') {
    if (!ja) throw new Error('the ja tokenizer is not loaded');
    return (text) => ja(text.toLowerCase()).filter((t) => !PUNCT_OR_SYMBOL.test(t));
  }
  return rougeTokenize;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngrams(tokens: string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const k = tokens.slice(i, i + n).join(' ');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

export function rougeN(targetTokens: string[], predictionTokens: string[], n: number): RougeScore {
  const t = ngrams(targetTokens, n);
  const p = ngrams(predictionTokens, n);
  let overlap = 0;
  for (const [k, c] of t) overlap += Math.min(c, p.get(k) ?? 0);
  let tCount = 0;
  for (const c of t.values()) tCount += c;
  let pCount = 0;
  for (const c of p.values()) pCount += c;
  const precision = overlap / Math.max(pCount, 1);
  const recall = overlap / Math.max(tCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** rouge-score's _lcs_table: the full (n+1)×(m+1) table, for backtracking. */
function lcsTable(ref: string[], can: string[]): Uint32Array[] {
  const t = Array.from({ length: ref.length + 1 }, () => new Uint32Array(can.length + 1));
  for (let i = 1; i <= ref.length; i++)
    for (let j = 1; j <= can.length; j++)
      t[i][j] = ref[i - 1] === can[j - 1] ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
  return t;
}

/** rouge-score's lcs_ind / _backtrack_norec: indexes into `ref` of one longest common subsequence. */
function lcsIndexes(ref: string[], can: string[]): number[] {
  const t = lcsTable(ref, can);
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i][j - 1] > t[i - 1][j]) j--;
    else i--;
  }
  return out.reverse();
}

function countTokens(sents: string[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of sents) for (const t of s) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * ROUGE-Lsum (rouge-score's _summary_level_lcs): sentences are the lines of each text;
 * for every reference sentence, the union of its LCS with each candidate sentence,
 * counting each token at most as often as it occurs in both texts.
 */
export function rougeLsum(targetSents: string[][], predictionSents: string[][]): RougeScore {
  const zero = { precision: 0, recall: 0, fmeasure: 0 };
  if (targetSents.length === 0 || predictionSents.length === 0) return zero;
  const m = targetSents.reduce((a, s) => a + s.length, 0);
  const n = predictionSents.reduce((a, s) => a + s.length, 0);
  if (m === 0 || n === 0) return zero;
  const cntR = countTokens(targetSents);
  const cntC = countTokens(predictionSents);
  let hits = 0;
  for (const r of targetSents) {
    const union = new Set<number>();
    for (const c of predictionSents) for (const i of lcsIndexes(r, c)) union.add(i);
    for (const i of [...union].sort((a, b) => a - b)) {
      const t = r[i];
      if ((cntC.get(t) ?? 0) > 0 && (cntR.get(t) ?? 0) > 0) {
        hits++;
        cntC.set(t, (cntC.get(t) as number) - 1);
        cntR.set(t, (cntR.get(t) as number) - 1);
      }
    }
  }
  const precision = hits / n;
  const recall = hits / m;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Length of the longest common subsequence (O(n·m) time, O(m) memory). */
export function lcsLength(a: string[], b: string[]): number {
  const prev = new Array<number>(b.length + 1).fill(0);
  const cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    for (let j = 0; j <= b.length; j++) prev[j] = cur[j];
  }
  return prev[b.length];
}

export function rougeL(targetTokens: string[], predictionTokens: string[]): RougeScore {
  if (targetTokens.length === 0 || predictionTokens.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsLength(targetTokens, predictionTokens);
  const precision = lcs / predictionTokens.length;
  const recall = lcs / targetTokens.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

const lines = (text: string): string[] => text.split('\n').filter((x) => x.length > 0);

/** rouge_scorer.RougeScorer([type], tokenizer=…).score(target, prediction). */
export function rougeScore(
  target: string,
  prediction: string,
  type: RougeType,
  tokenize: TokenizeFn = rougeTokenize,
): RougeScore {
  if (type === 'rougeLsum') return rougeLsum(lines(target).map(tokenize), lines(prediction).map(tokenize));
  const t = tokenize(target);
  const p = tokenize(prediction);
  if (type === 'rougeL') return rougeL(t, p);
  return rougeN(t, p, type === 'rouge1' ? 1 : 2);
}
