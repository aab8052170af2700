import { describe, expect, it } from 'vitest';
import { convertCell, referencesOf } from './cells';

describe('CSV cells', () => {
  it('convert to the input type, or say why not', () => {
    expect(convertCell('3', 'number')).toEqual({ value: 3 });
    expect(convertCell(' -1.5e3 ', 'number')).toEqual({ value: -1500 });
    expect(convertCell('１２．５', 'number')).toEqual({ value: 12.5 });
    for (const bad of ['三', '0x10', 'Infinity', '1,000', '3 個'])
      expect(convertCell(bad, 'number')).toEqual({ error: 'is not a number' });
    expect(convertCell('YES', 'boolean')).toEqual({ value: true });
    expect(convertCell('0', 'boolean')).toEqual({ value: false });
    expect(convertCell('はい', 'boolean').error).toMatch(/true\/false, 1\/0 or yes\/no/);
    expect(convertCell('{"都市":"東京"}', 'json')).toEqual({ value: { 都市: '東京' } });
    expect(convertCell('{都市', 'json').error).toMatch(/^is not JSON/);
    expect(convertCell('', 'number')).toEqual({ value: undefined });
    expect(convertCell(' 東京 ', 'string')).toEqual({ value: ' 東京 ' });
  });

  it('several references from a JSON array (CSV) or a separator', () => {
    expect(referencesOf('["東京","東京都"]', { datasetFormat: 'csv' })).toEqual(['東京', '東京都']);
    // JSONL has real arrays: a string stays one reference there.
    expect(referencesOf('["東京","東京都"]', { datasetFormat: 'jsonl' })).toBe('["東京","東京都"]');
    expect(referencesOf('[not json', { datasetFormat: 'csv' })).toBe('[not json');
    expect(referencesOf('東京 | 東京都 |', { referenceSeparator: '|', datasetFormat: 'csv' })).toEqual([
      '東京',
      '東京都',
    ]);
    expect(referencesOf('東京', { referenceSeparator: '|' })).toBe('東京');
    expect(referencesOf(['a', 'b'], { datasetFormat: 'jsonl' })).toEqual(['a', 'b']);
  });
});
