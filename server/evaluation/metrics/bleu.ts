/**
 * BLEU exactly as sacreBLEU computes it (Post, 2018; github.com/mjpost/sacrebleu):
 * the 13a tokenizer (mteval-v13a), n-grams up to 4, closest reference length for the
 * brevity penalty (ties → the shorter), and its smoothing methods (`exp` by default,
 * NIST "method 3"). Corpus BLEU sums per-segment statistics before scoring, so rows
 * keep their `BleuStats` and the aggregate is computed from the summed statistics.
 * Scores are on sacreBLEU's 0–100 scale. Tokenizers: ./tokenizers.ts.
 */
import type { BleuSmoothing, BleuTokenizer } from '../../../shared/api/metrics';
import { bleuTokenizer, pyRstrip, type TokenizeFn } from './tokenizers';

export { tokenize13a } from './tokenizers';
export type { BleuSmoothing, BleuTokenizer };

export interface BleuOptions {
  /** sacreBLEU's tokenizer (default `13a`; `ja` is kuromoji, see ./japanese.ts). */
  tokenize?: BleuTokenizer;
  /** The loaded Japanese analyzer, required by `tokenize: "ja"`. */
  ja?: TokenizeFn;
  smoothMethod?: BleuSmoothing;
  /** For `floor` (default 0.1) and `add-k` (default 1). */
  smoothValue?: number;
  lowercase?: boolean;
  /** Stop including n-gram orders with zero matches (sacreBLEU's sentence_bleu uses true). */
  effectiveOrder?: boolean;
  maxNgramOrder?: number;
}

/** Sufficient statistics of one segment (summable). */
export interface BleuStats {
  sysLen: number;
  refLen: number;
  correct: number[];
  total: number[];
}

export interface BleuScore extends BleuStats {
  score: number;
  bp: number;
  precisions: number[];
}

/** sacreBLEU's BLEU._preprocess_segment: lowercase (optionally), rstrip, tokenize. */
function preprocess(sent: string, opts: BleuOptions): string[] {
  const s = opts.lowercase ? sent.toLowerCase() : sent;
  return bleuTokenizer(opts.tokenize, opts.ja)(pyRstrip(s));
}

function ngramCounts(words: string[], maxN: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxN; n++) {
    for (let i = 0; i + n <= words.length; i++) {
      const key = `${n}\u0001${words.slice(i, i + n).join('\u0001')}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function closestRefLen(hypLen: number, refLens: number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = len;
    } else if (diff === closestDiff && len < closestLen) {
      closestLen = len;
    }
  }
  return closestLen;
}

/** Statistics of one hypothesis against its references. */
export function segmentStats(hypothesis: string, references: string[], opts: BleuOptions = {}): BleuStats {
  const maxN = opts.maxNgramOrder ?? 4;
  const hypWords = preprocess(hypothesis, opts);
  const refNgrams = new Map<string, number>();
  const refLens: number[] = [];
  for (const ref of references) {
    const words = preprocess(ref, opts);
    refLens.push(words.length);
    for (const [k, c] of ngramCounts(words, maxN)) refNgrams.set(k, Math.max(refNgrams.get(k) ?? 0, c));
  }
  const correct = new Array<number>(maxN).fill(0);
  const total = new Array<number>(maxN).fill(0);
  for (let n = 1; n <= maxN; n++) total[n - 1] = Math.max(0, hypWords.length - n + 1);
  for (const [k, c] of ngramCounts(hypWords, maxN)) {
    const n = Number(k.slice(0, k.indexOf('\u0001')));
    const r = refNgrams.get(k);
    if (r !== undefined) correct[n - 1] += Math.min(c, r);
  }
  return { sysLen: hypWords.length, refLen: closestRefLen(hypWords.length, refLens), correct, total };
}

export function sumStats(stats: Iterable<BleuStats>, maxN = 4): BleuStats {
  const out: BleuStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(maxN).fill(0),
    total: new Array<number>(maxN).fill(0),
  };
  for (const s of stats) {
    out.sysLen += s.sysLen;
    out.refLen += s.refLen;
    for (let i = 0; i < maxN; i++) {
      out.correct[i] += s.correct[i] ?? 0;
      out.total[i] += s.total[i] ?? 0;
    }
  }
  return out;
}

const myLog = (x: number): number => (x === 0 ? -9999999999 : Math.log(x));

/** sacreBLEU's BLEU.compute_bleu. */
export function computeBleu(stats: BleuStats, opts: BleuOptions = {}): BleuScore {
  const method = opts.smoothMethod ?? 'exp';
  const maxN = opts.maxNgramOrder ?? 4;
  const smoothValue = opts.smoothValue ?? (method === 'floor' ? 0.1 : method === 'add-k' ? 1 : 0);
  const correct = [...stats.correct];
  const total = [...stats.total];
  const { sysLen, refLen } = stats;
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(maxN).fill(0);
  if (!correct.some((c) => c !== 0)) return { ...stats, score: 0, bp, precisions };
  let smoothMteval = 1;
  let effOrder = maxN;
  for (let n = 1; n <= maxN; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1] += smoothValue;
      total[n - 1] += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let sum = 0;
  for (let i = 0; i < effOrder; i++) sum += myLog(precisions[i]);
  const score = bp * Math.exp(sum / effOrder);
  return { ...stats, score, bp, precisions };
}

/**
 * sacreBLEU's corpus_bleu: `references` is a list of reference streams, each as long as
 * `hypotheses` (references[k][i] is the k-th reference of hypothesis i).
 */
export function corpusBleu(hypotheses: string[], references: string[][], opts: BleuOptions = {}): BleuScore {
  const stats = hypotheses.map((h, i) =>
    segmentStats(
      h,
      references.map((stream) => stream[i] ?? ''),
      opts,
    ),
  );
  return computeBleu(sumStats(stats, opts.maxNgramOrder ?? 4), opts);
}

/** sacreBLEU's sentence_bleu (effective order on, exp smoothing by default). */
export function sentenceBleu(hypothesis: string, references: string[], opts: BleuOptions = {}): BleuScore {
  const o = { effectiveOrder: true, ...opts };
  return computeBleu(segmentStats(hypothesis, references, o), o);
}
