import { describe, expect, it } from 'vitest';
import { computeBleu, corpusBleu, segmentStats, sentenceBleu } from './bleu';
import { rougeScore } from './rouge';
import {
  contains,
  cosine,
  exactMatch,
  jsonSchemaCheck,
  jsonValid,
  levenshtein,
  levenshteinSimilarity,
  regexMatch,
} from './text';

// All BLEU reference values below are the ones sacreBLEU asserts in its own test suite:
// https://github.com/mjpost/sacrebleu/blob/master/test/test_bleu.py and
// https://github.com/mjpost/sacrebleu/blob/master/test/test_sentence_bleu.py
describe('BLEU (sacreBLEU corpus_bleu)', () => {
  // test_bleu.py: "test for README example with empty hypothesis strings check"
  const refs = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];

  it('default settings (13a, exp smoothing) → 48.530827', () => {
    expect(corpusBleu(hyps, refs).score).toBeCloseTo(48.530827, 6);
  });
  it("tokenize='13a' → 48.530827; smooth_method='none' → 48.530827", () => {
    expect(corpusBleu(hyps, refs, { tokenize: '13a' }).score).toBeCloseTo(48.530827, 6);
    expect(corpusBleu(hyps, refs, { smoothMethod: 'none' }).score).toBeCloseTo(48.530827, 6);
  });
  it("tokenize='none' → 49.1919566", () => {
    expect(corpusBleu(hyps, refs, { tokenize: 'none' }).score).toBeCloseTo(49.1919566, 6);
  });
  it('empty hypotheses are kept and score 0.0', () => {
    expect(corpusBleu(['', '', ''], refs).score).toBe(0);
  });
  // test_raw_bleu_cases (current version: the zero-match case "now returns 0.0 score (#141)").
  // raw_corpus_bleu = tokenize none, floor smoothing (0.01 here), effective order on.
  const raw = { tokenize: 'none', smoothMethod: 'floor', smoothValue: 0.01, effectiveOrder: true } as const;
  it.each([
    [['this is a test', 'another test'], ['ref1', 'ref2'], 0.0],
    [['this is a test'], ['this is a test'], 1.0],
    [['this is a fest'], ['this is a test'], 0.223606797749979],
    // test_case_effective_order
    [['test'], ['a test'], 0.3678794411714425],
    [['a test'], ['a test'], 1.0],
    [['a little test'], ['a test'], 0.03218297948685433],
  ])('raw_corpus_bleu %j vs %j → %f', (h, r, expected) => {
    const s = corpusBleu(h, [r], raw).score / 100;
    expect(Math.abs(s - expected)).toBeLessThan(1e-8);
  });
  // test_case_offset: floor smoothing default 0.1 → 0.1555722182, offset 0.0 → 0
  it('test_case_offset', () => {
    const h = ['am I am a character sequence'];
    const r = [['I am a symbol string sequence a a']];
    expect(Math.abs(corpusBleu(h, r, { ...raw, smoothValue: undefined }).score / 100 - 0.1555722182)).toBeLessThan(
      1e-8,
    );
    expect(corpusBleu(h, r, { ...raw, smoothValue: 0 }).score).toBe(0);
  });
  // test_bleu_max_order: BLEU(max_ngram_order=n).corpus_score → formatted to 2 decimals
  it.each([
    [1, '77.65'],
    [2, '60.50'],
    [3, '53.93'],
    [5, '46.14'],
    [6, '43.28'],
  ])('max_ngram_order %i → %s', (order, expected) => {
    expect(corpusBleu(hyps, refs, { maxNgramOrder: order }).score.toFixed(2)).toBe(expected);
  });
  // test_case_degenerate_stats (floor smoothing) all score 0.0
  it.each([
    [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0.0],
    [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.0],
    [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0.0],
    [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
    [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
  ])('degenerate stats %j/%j → 0', (correct, total, sysLen, refLen, offset) => {
    expect(computeBleu({ correct, total, sysLen, refLen }, { smoothMethod: 'floor', smoothValue: offset }).score).toBe(
      0,
    );
  });
  // test_case_scoring: compute_bleu([9,7,5,3],[10,8,6,4],11,11) → 0.8375922397
  it('compute_bleu from statistics → 0.8375922397', () => {
    const s = computeBleu(
      { correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 },
      { smoothMethod: 'none' },
    );
    expect(Math.abs(s.score / 100 - 0.8375922397)).toBeLessThan(1e-8);
  });
  it('segment statistics match test_case_statistics', () => {
    // "am I am a character sequence" vs "I am a symbol string sequence a a" → common [4,2,1,0], total [6,5,4,3]
    const st = segmentStats('am I am a character sequence', ['I am a symbol string sequence a a'], {
      tokenize: 'none',
    });
    expect(st.correct).toEqual([4, 2, 1, 0]);
    expect(st.total).toEqual([6, 5, 4, 3]);
  });
});

describe('BLEU (sacreBLEU sentence_bleu, test_sentence_bleu.py, EPSILON 1e-3)', () => {
  const REF = 'producţia de zahăr brut se exprimă în zahăr alb;';
  const SYS = 'Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;';
  it.each([
    ['exp', undefined, '13a', 8.493],
    ['none', undefined, '13a', 0.0],
    ['floor', undefined, '13a', 4.51688],
    ['floor', 0.5, '13a', 10.1],
    ['add-k', undefined, '13a', 14.882],
    ['add-k', 2, '13a', 21.389],
    ['exp', undefined, 'none', 7.347],
  ] as const)('smooth %s value %s tok %s → %f', (method, value, tok, expected) => {
    const s = sentenceBleu(SYS, [REF], { smoothMethod: method, smoothValue: value, tokenize: tok });
    expect(Math.abs(s.score - expected)).toBeLessThan(1e-3);
  });
  it('zero-overlap sentence scores 0 under every smoothing (#141)', () => {
    for (const m of ['exp', 'none', 'floor', 'add-k'] as const)
      expect(sentenceBleu('this is a cat', ['okay thanks'], { smoothMethod: m }).score).toBe(0);
  });
});

// ROUGE reference values are those in rouge-score's own tests:
// https://github.com/google-research/google-research/blob/master/rouge/rouge_scorer_test.py
// (the AgainstRouge155 values were produced by the official ROUGE-1.5.5 Perl script).
describe('ROUGE (google rouge-score)', () => {
  it('rouge1("testing one two", "testing") P=1 R=1/3 F=1/2', () => {
    const r = rougeScore('testing one two', 'testing', 'rouge1');
    expect(r.precision).toBeCloseTo(1, 7);
    expect(r.recall).toBeCloseTo(1 / 3, 7);
    expect(r.fmeasure).toBeCloseTo(1 / 2, 7);
  });
  it('rouge2("testing one two", "testing one") P=1 R=1/2 F=2/3', () => {
    const r = rougeScore('testing one two', 'testing one', 'rouge2');
    expect([r.precision, r.recall, r.fmeasure].map((x) => +x.toFixed(7))).toEqual([1, 0.5, +(2 / 3).toFixed(7)]);
  });
  it('rougeL consecutive and non-consecutive → F=4/5', () => {
    expect(rougeScore('testing one two', 'testing one', 'rougeL').fmeasure).toBeCloseTo(0.8, 7);
    expect(rougeScore('testing one two', 'testing two', 'rougeL').fmeasure).toBeCloseTo(0.8, 7);
  });
  it('empty prediction scores 0 for every type', () => {
    for (const t of ['rouge1', 'rouge2', 'rougeL'] as const)
      expect(rougeScore('testing one two', '', t).fmeasure).toBe(0);
  });
  // rouge/testdata/target.txt and prediction.txt, lines 1 and 2 (random strings used upstream).
  const targets = [
    "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
    "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
  ];
  const predictions = [
    "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
    "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
  ];
  it.each([
    ['rouge1', 0, 0.40741, 0.6875, 0.51163],
    ['rouge1', 1, 0.40476, 0.65385, 0.5],
    ['rouge2', 0, 0.30769, 0.53333, 0.39024],
    ['rouge2', 1, 0.29268, 0.48, 0.36364],
    ['rougeL', 0, 0.40741, 0.6875, 0.51163],
    ['rougeL', 1, 0.40476, 0.65385, 0.5],
  ] as const)('%s line %i against ROUGE-1.5.5: R=%f P=%f F=%f', (type, i, r, p, f) => {
    const s = rougeScore(targets[i], predictions[i], type);
    expect(s.recall).toBeCloseTo(r, 5);
    expect(s.precision).toBeCloseTo(p, 5);
    expect(s.fmeasure).toBeCloseTo(f, 5);
  });
});

describe('string metrics', () => {
  it('exact match with normalisation (SQuAD normalize_answer semantics)', () => {
    expect(exactMatch(' Paris ', 'Paris')).toBe(true);
    expect(exactMatch('paris', 'Paris')).toBe(false);
    expect(exactMatch('paris', 'Paris', { ignoreCase: true })).toBe(true);
    // SQuAD v1.1 evaluate script: lower, remove punctuation, remove articles, fix whitespace
    expect(exactMatch('The  Eiffel tower!', 'eiffel tower', { squad: true })).toBe(true);
    expect(exactMatch('an apple', ['a pear', 'apple'], { squad: true })).toBe(true);
    expect(exactMatch('Eiffel', 'eiffel tower', { squad: true })).toBe(false);
  });
  it('contains, regex, json_valid, json_schema', () => {
    expect(contains('The answer is 42.', '42')).toBe(true);
    expect(contains('ABC', 'abc')).toBe(false);
    expect(contains('ABC', 'abc', { ignoreCase: true })).toBe(true);
    expect(regexMatch('order #1234', '#\\d{4}$')).toBe(true);
    expect(regexMatch('order #12', '#\\d{4}$')).toBe(false);
    expect(jsonValid('{"a":1}')).toBe(true);
    expect(jsonValid('{a:1}')).toBe(false);
    const schema = {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string' }, email: { type: 'string', format: 'email' } },
    };
    expect(jsonSchemaCheck('{"name":"x"}', schema).valid).toBe(true);
    expect(jsonSchemaCheck('{"name":1}', schema).valid).toBe(false);
    expect(jsonSchemaCheck({ name: 'x', email: 'nope' }, schema).errors[0]).toMatch(/email/);
  });
  it('Levenshtein: kitten → sitting is 3 (the textbook example, Wikipedia "Levenshtein distance")', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2); // also from the Wikipedia article
    expect(levenshteinSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    expect(levenshteinSimilarity('', '')).toBe(1);
  });
  it('cosine similarity', () => {
    expect(cosine([1, 0], [0, 1])).toBe(0);
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [-1, 0])).toBe(-1);
  });
});

// Cases from the official JSON Schema Test Suite, tests/draft7/required.json
// (https://github.com/json-schema-org/JSON-Schema-Test-Suite). Outputs that are strings
// are parsed as JSON first, so the non-object cases are given as values.
describe('json_schema against the JSON Schema Test Suite (draft7/required.json)', () => {
  const schema = { properties: { foo: {}, bar: {} }, required: ['foo'] };
  it.each([
    ['present required property is valid', { foo: 1 }, true],
    ['non-present required property is invalid', { bar: 1 }, false],
    ['ignores arrays', [], true],
    ['ignores other non-objects', 12, true],
    ['null is valid', null, true],
  ])('%s', (_d, data, valid) => {
    expect(jsonSchemaCheck(data, schema).valid).toBe(valid);
  });
  const jsNames = { required: ['__proto__', 'toString', 'constructor'] };
  it.each([
    ['none of the properties mentioned', '{}', false],
    ['__proto__ present', '{ "__proto__": "foo" }', false],
    ['toString present', '{ "toString": { "length": 37 } }', false],
    ['constructor present', '{ "constructor": { "length": 37 } }', false],
    ['all present', '{ "__proto__": 12, "toString": { "length": "foo" }, "constructor": 37 }', true],
  ])('JS property names: %s', (_d, text, valid) => {
    expect(jsonSchemaCheck(text, jsNames).valid).toBe(valid);
  });
  // tests/draft7/optional/format/email.json
  it.each([
    ['joe.bloggs@example.com', true],
    ['joe.bloggs@123.24-7-examples.com', true],
    ['2962', false],
  ])('format email %s → %s', (email, valid) => {
    expect(jsonSchemaCheck(JSON.stringify(email), { format: 'email' }).valid).toBe(valid);
  });
});
