/**
 * ROUGE-N and ROUGE-L as Google's rouge-score package computes them
 * (github.com/google-research/google-research/tree/master/rouge): the tokenizer
 * lower-cases, replaces every run of non-[a-z0-9] characters with a space and drops
 * empty tokens; no stemming. Scores are { precision, recall, fmeasure } in 0..1.
 */

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeType = 'rouge1' | 'rouge2' | 'rougeL';

export function rougeTokenize(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(/\s+/)
    .filter((t) => /^[a-z0-9]+$/.test(t));
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

/** rouge_scorer.RougeScorer(types).score(target, prediction). */
export function rougeScore(target: string, prediction: string, type: RougeType): RougeScore {
  const t = rougeTokenize(target);
  const p = rougeTokenize(prediction);
  if (type === 'rougeL') return rougeL(t, p);
  return rougeN(t, p, type === 'rouge1' ? 1 : 2);
}
