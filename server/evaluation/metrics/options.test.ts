import { describe, expect, it } from 'vitest';
import { checkMetricSpec } from '../../../shared/api/metrics';
import { checkMetricSpecs } from './index';

describe('metric options are real or refused', () => {
  it('accepts every documented option', () => {
    for (const m of [
      'exact_match',
      { type: 'exact_match', normalize: { squad: true } },
      { type: 'bleu', tokenize: 'ja', smoothMethod: 'floor', smoothValue: 0.2, lowercase: true },
      { type: 'bleu', tokenize: 'intl', smoothMethod: 'add-k' },
      { type: 'rougeLsum', tokenizer: 'char', name: 'rl' },
      { type: 'regex', pattern: '^東京', flags: 'iu' },
      { type: 'llm_judge', rubric: '丁寧か', scale: { min: 0, max: 10 }, passAt: 7 },
    ])
      expect(checkMetricSpec(m).problems).toBeUndefined();
  });

  it('refuses an unknown option or value and lists the accepted ones', () => {
    const { problems } = checkMetricSpecs([
      { type: 'bleu', tokenize: 'mecab' },
      { type: 'rougeL', tokenizer: 'ja', stemmer: true },
      { type: 'bleu', smoothValue: 0.1 },
      { type: 'exact_match', normalize: { ignorecase: true } },
      'rouge3',
    ]);
    expect(problems).toEqual([
      {
        path: 'metrics[0].tokenize',
        message: '"mecab" is not accepted (accepted: 13a, none, intl, char, zh, ja)',
      },
      {
        path: 'metrics[1].stemmer',
        message: 'rougeL has no option "stemmer" (options: name, tokenizer)',
      },
      {
        path: 'metrics[2].smoothValue',
        message: 'smoothValue applies to smoothMethod "floor" (default 0.1) or "add-k" (default 1) only',
      },
      {
        path: 'metrics[3].normalize.ignorecase',
        message: expect.stringMatching(
          /^exact_match.normalize has no option "ignorecase" \(options: trim, ignoreCase, ignorePunctuation/,
        ),
      },
      {
        path: 'metrics[4].type',
        message: expect.stringMatching(/^unknown metric "rouge3" \(known: exact_match, .*rougeLsum/),
      },
    ]);
  });
});
