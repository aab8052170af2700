/**
 * ROUGE tokenizers and ROUGE-Lsum against Google's rouge-score. Expected values were
 * printed by rouge-score's own code (google-research/google-research rouge/ at commit
 * 0c1bbe5: rouge_scorer.py, tokenize.py, scoring.py; Python 3.11, nltk 3.10) with
 *   RougeScorer(['rouge1', 'rouge2', 'rougeL', 'rougeLsum']).score(target, prediction)
 * [precision, recall, fmeasure]. For `char` and `ja` its tokenize function was replaced
 * (as RougeScorer(tokenizer=…) does in later releases) by: characters that are not
 * whitespace (str.isspace) nor Unicode punctuation/symbols (category P*, S*), lower-cased;
 * and, for `ja`, the kuromoji segmentation shown below without punctuation tokens.
 * The texts are ours.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../config';
import { buildMetric } from './index';
import { japaneseTokens } from './japanese';
import { rougeScore, rougeTokenizer, type RougeType } from './rouge';

const EN_T = 'The quick brown fox jumps over the lazy dog.\nThe dog sleeps in the sun.\nA cat watches them.';
const EN_P = 'The brown fox jumps over the dog.\nA cat sleeps in the sun while the dog watches.';
const JA_T = '東京は日本の首都です。\n人口は約千四百万人です。';
const JA_P = '日本の首都は東京です。\n東京の人口は約千四百万人です。';

type Expected = Record<RougeType, [number, number, number]>;
const REFERENCE: Record<string, Expected> = {
  'en/default': {
    rouge1: [0.9411764705882353, 0.8421052631578947, 0.8888888888888888],
    rouge2: [0.5625, 0.5, 0.5294117647058824],
    rougeL: [0.7058823529411765, 0.631578947368421, 0.6666666666666667],
    rougeLsum: [0.9411764705882353, 0.8421052631578947, 0.8888888888888888],
  },
  'en/char': {
    rouge1: [0.9838709677419355, 0.8714285714285714, 0.9242424242424242],
    rouge2: [0.819672131147541, 0.7246376811594203, 0.7692307692307692],
    rougeL: [0.7903225806451613, 0.7, 0.7424242424242423],
    rougeLsum: [0.9354838709677419, 0.8285714285714286, 0.8787878787878788],
  },
  'ja/char': {
    rouge1: [0.875, 1.0, 0.9333333333333333],
    rouge2: [0.6956521739130435, 0.8, 0.7441860465116279],
    rougeL: [0.75, 0.8571428571428571, 0.7999999999999999],
    rougeLsum: [0.875, 1.0, 0.9333333333333333],
  },
  'ja/ja': {
    rouge1: [0.8823529411764706, 1.0, 0.9375],
    rouge2: [0.625, 0.7142857142857143, 0.6666666666666666],
    rougeL: [0.7647058823529411, 0.8666666666666667, 0.8125],
    rougeLsum: [0.8823529411764706, 1.0, 0.9375],
  },
};
const TYPES: RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

function expectRouge(target: string, prediction: string, tokenize: (s: string) => string[], expected: Expected) {
  for (const type of TYPES) {
    const s = rougeScore(target, prediction, type, tokenize);
    const [p, r, f] = expected[type];
    expect([type, s.precision, s.recall, s.fmeasure]).toEqual([
      type,
      expect.closeTo(p, 12),
      expect.closeTo(r, 12),
      expect.closeTo(f, 12),
    ]);
  }
}

describe('ROUGE as rouge-score', () => {
  it('default tokenizer, with ROUGE-Lsum over lines', () => {
    expectRouge(EN_T, EN_P, rougeTokenizer('default'), REFERENCE['en/default']);
  });
  it('default tokenizer: Japanese has no a–z0–9 tokens, so even a perfect answer scores 0', () => {
    for (const type of TYPES) expect(rougeScore(JA_T, JA_T, type).fmeasure).toBe(0);
  });
  it('char tokenizer, English and Japanese', () => {
    expectRouge(EN_T, EN_P, rougeTokenizer('char'), REFERENCE['en/char']);
    expectRouge(JA_T, JA_P, rougeTokenizer('char'), REFERENCE['ja/char']);
  });
  it('ja tokenizer (kuromoji)', async () => {
    const ja = await japaneseTokens();
    expect(JA_P.split('\n').map((l) => ja(l).join(' '))).toEqual([
      '日本 の 首都 は 東京 です 。',
      '東京 の 人口 は 約 千 四 百 万 人 です 。',
    ]);
    expectRouge(JA_T, JA_P, rougeTokenizer('ja', ja), REFERENCE['ja/ja']);
  }, 60_000);
  it('the metric takes the tokenizer option and the best of several references', async () => {
    const m = buildMetric({ type: 'rougeLsum', tokenizer: 'ja' }, { config: {} as Config });
    const s = await m.score({
      row: {},
      inputs: {},
      outputs: {},
      output: JA_P,
      expected: ['まったく違う答え', JA_T],
      latencyMs: 0,
    });
    expect(s.value).toBeCloseTo(REFERENCE['ja/ja'].rougeLsum[2], 12);
    expect(m.needsExpected).toBe(true);
  }, 60_000);
});
