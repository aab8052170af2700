/**
 * BLEU tokenizers and smoothing against sacreBLEU. Every expected value below was printed
 * by sacrebleu 2.6.0 (pip, Python 3.11) for the same text, with
 *   BLEU(tokenize=T, smooth_method=M, smooth_value=V, effective_order=True).sentence_score(hyp, [ref]).score
 *   BLEU(tokenize=T, smooth_method=M, smooth_value=V).corpus_score(hyps, [refs]).score
 * (sentence values per row, then the corpus value). The sentences are ours.
 * `ja` cannot be checked against sacreBLEU's ja-mecab here (no MeCab), so it is checked
 * as sacreBLEU scoring the kuromoji segmentation with tokenize='none': the BLEU part is
 * sacreBLEU's, the segmentation is kuromoji's (listed below, as IPADIC segments it).
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../config';
import type { MetricSpec } from '../../../shared/api/evaluation';
import { buildMetric, corpusValue } from './index';
import { japaneseLoadCount, japaneseTokens } from './japanese';
import { pySplit, tokensChar, tokensIntl, tokensZh } from './tokenizers';

type Pairs = Array<[string, string]>;
const EN: Pairs = [
  ["The cat sat on the mat, didn't it? It cost $3.50.", 'The cat was sitting on the mat; it cost $3.50!'],
  ['Prices rose 1,000.5% in 2023-24 -- a record.', 'Prices rose by 1,000.5% in 2023-24: a record!'],
];
const INTL: Pairs = [
  ["Prices rose 1,000.5% — «a record»… isn't it?", 'Prices rose by 1,000.5% — «a record»!'],
  ['Die Preise stiegen um 3,5 % – ein Rekord.', 'Die Preise stiegen um 3,5 % — ein Rekord!'],
];
const ZH: Pairs = [
  ['我喜欢吃苹果, and I like apples → 3.5 kg…', '我爱吃苹果，I like apples too → 3.5kg…'],
  ['今天天气很好。', '今天的天气非常好。'],
];
const JA: Pairs = [
  ['東京都に住んでいます。毎朝、電車で会社へ行きます。', '私は東京に住んでいて、毎朝電車で会社に行きます。'],
  ['猫が好きです', '犬が好きです'],
];
const JA_MORPH: Pairs = [
  ...JA.slice(0, 1),
  ['Braid は LLM フローを作るツールです。', 'Braid は LLM のフローを作成するためのツールです。'],
  ...JA.slice(1),
];

const config = {} as Config;

/** Per-row sentence BLEU through the metric, and the corpus value over the rows. */
async function bleu(spec: Omit<Extract<MetricSpec, { type: 'bleu' }>, 'type'>, pairs: Pairs) {
  const full = { type: 'bleu' as const, ...spec };
  const m = buildMetric(full, { config });
  const scores = [];
  for (const [output, expected] of pairs)
    scores.push(await m.score({ row: {}, inputs: {}, outputs: {}, output, expected, latencyMs: 0 }));
  return { sentence: scores.map((s) => s.value), corpus: corpusValue(full, scores) };
}

function expectScores(
  got: { sentence: Array<number | null>; corpus: number | null },
  sentence: number[],
  corpus: number,
) {
  expect(got.sentence).toHaveLength(sentence.length);
  got.sentence.forEach((v, i) => expect(v).toBeCloseTo(sentence[i], 10));
  expect(got.corpus).toBeCloseTo(corpus, 10);
}

describe('BLEU tokenizers as sacreBLEU 2.6.0', () => {
  const cases: Array<[string, Pairs, string, number[], number]> = [
    ['en', EN, '13a', [19.251614434393563, 47.44325794453767], 33.49570415969798],
    ['en', EN, 'none', [11.208466750961147, 16.515821590069027], 9.439157172997303],
    ['en', EN, 'intl', [13.834368456410951, 31.7023313852343], 19.079114344084008],
    ['en', EN, 'char', [55.882421456548315, 80.39595111862457], 69.08953548283283],
    ['en', EN, 'zh', [16.06455374563062, 47.44325794453767], 32.25000570422126],
    ['intl', INTL, '13a', [31.239399369202552, 58.14307369682194], 45.180100180492246],
    ['intl', INTL, 'intl', [44.28500142691474, 58.14307369682194], 49.633285066019965],
    ['zh', ZH, '13a', [10.552670315936318, 0], 10.278340422512997],
    ['zh', ZH, 'zh', [18.207052811092137, 17.09588824982593], 16.966256703966817],
    ['zh', ZH, 'char', [61.71392021671757, 17.09588824982593], 54.912172363080344],
    ['ja', JA, '13a', [0, 0], 0],
    ['ja', JA, 'char', [47.2402846675108, 75.98356856515926], 51.65413230188153],
    ['ja', JA, 'zh', [32.82518529729175, 59.460355750136046], 33.564399705436536],
  ];
  for (const [label, pairs, tokenize, sentence, corpus] of cases)
    it(`${label} text, tokenize=${tokenize}`, async () => {
      expectScores(await bleu({ tokenize: tokenize as never }, pairs), sentence, corpus);
    });

  it('tokenizes as sacreBLEU does, including the zh ranges written with five hex digits', () => {
    // '\u20000' in sacreBLEU is U+2000 + "0": → (U+2192) and … (U+2026) count as Chinese characters.
    expect(tokensZh('我爱 → 3.5kg…')).toEqual(['我', '爱', '→', '3.5kg', '…']);
    expect(tokensIntl('1,000.5% — «a»!')).toEqual(['1,000.5', '%', '—', '«', 'a', '»', '!']);
    expect(tokensChar('猫 が')).toEqual(['猫', 'が']);
    // Python's str.split(): U+3000 and U+001F split, U+200B (zero-width space) does not.
    expect(pySplit('a\u3000b\u001fc\u200bd')).toEqual(['a', 'b', 'c\u200bd']);
  });
});

describe('BLEU smoothing as sacreBLEU 2.6.0 (13a)', () => {
  const cases: Array<[string, number | undefined, number[], number, number]> = [
    // method, value, sentence per EN row, corpus over EN, sentence of "the cat sat quietly" vs "the cat sat on the mat"
    ['exp', undefined, [19.251614434393563, 47.44325794453767], 33.49570415969798, 36.06452879987789],
    ['floor', undefined, [12.874330508144837, 47.44325794453767], 33.49570415969798, 24.117803988461304],
    ['floor', 0.2, [15.310245441182436, 47.44325794453767], 33.49570415969798, 28.681064101319173],
    ['add-k', undefined, [25.07929229530114, 51.86805880190238], 36.959065994990645, 39.911961965336396],
    ['add-k', 2, [31.62277660168379, 55.36369938312287], 39.91503953234394, 44.888291165068146],
    ['none', undefined, [0, 47.44325794453767], 33.49570415969798, 0],
  ];
  for (const [method, value, sentence, corpus, short] of cases)
    it(`smooth_method=${method}${value !== undefined ? `, smooth_value=${value}` : ''}`, async () => {
      const spec = { smoothMethod: method as never, ...(value !== undefined ? { smoothValue: value } : {}) };
      expectScores(await bleu(spec, EN), sentence, corpus);
      const s = await bleu(spec, [['the cat sat quietly', 'the cat sat on the mat']]);
      expect(s.sentence[0]).toBeCloseTo(short, 10);
    });
});

describe('BLEU tokenize=ja (kuromoji, IPADIC)', () => {
  it('segments like IPADIC and scores as sacreBLEU on that segmentation; the dictionary loads once', async () => {
    const ja = await japaneseTokens();
    expect(ja('東京都に住んでいます。毎朝、電車で会社へ行きます。').join(' ')).toBe(
      '東京 都 に 住ん で い ます 。 毎朝 、 電車 で 会社 へ 行き ます 。',
    );
    expect(ja('Braid は LLM フローを作るツールです。').join(' ')).toBe('Braid は LLM フロー を 作る ツール です 。');
    // sacrebleu 2.6.0, tokenize='none' over the segmentations above.
    expectScores(
      await bleu({ tokenize: 'ja' }, JA_MORPH),
      [28.253893006668058, 21.744517803397358, 59.460355750136046],
      24.111515572863293,
    );
    await bleu({ tokenize: 'ja' }, JA);
    expect(japaneseLoadCount()).toBe(1);
  }, 60_000);
});
