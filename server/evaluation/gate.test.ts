import { describe, expect, it } from 'vitest';
import type { EvaluationSummary } from '../../shared/api/evaluation';
import { checkGate, parseThreshold } from './gate';
import { summaryTable } from './report';

function summary(succeeded: number, failed: number, passRate: number, extra: Partial<EvaluationSummary> = {}) {
  const s: EvaluationSummary = {
    metrics: [
      {
        name: 'exact_match',
        kind: 'boolean',
        count: succeeded + failed,
        mean: passRate,
        median: 1,
        p95: 1,
        min: 0,
        max: 1,
        ci95: null,
        passRate,
        histogram: [],
      },
      {
        name: 'rougeL',
        kind: 'number',
        count: succeeded,
        mean: 0.8,
        median: 0.8,
        p95: 1,
        min: 0,
        max: 1,
        ci95: null,
        histogram: [],
      },
    ],
    latency: { mean: 100, median: 90, p95: 300 },
    tokens: 10,
    costTotal: 0.5,
    succeeded,
    failed,
    ...extra,
  };
  return s;
}
const parse = (...t: string[]) => t.map(parseThreshold);

describe('evaluation gate', () => {
  it('implies failed_rate<=0 when any threshold is given, unless one names failed_rate', () => {
    const g = checkGate(summary(5, 5, 0.5), parse('exact_match>=0.5'));
    expect(g.passed).toBe(false);
    expect(g.results).toEqual([
      expect.objectContaining({ expr: 'exact_match>=0.5', actual: 0.5, passed: true }),
      expect.objectContaining({ expr: 'failed_rate<=0', implied: true, actual: 0.5, passed: false }),
    ]);
    const tolerant = checkGate(summary(5, 5, 0.5), parse('exact_match>=0.5', 'failed_rate<=0.5'));
    expect(tolerant.passed).toBe(true);
    expect(tolerant.results).toHaveLength(2);
    // No threshold, some rows failed: nothing is checked, so it passes (exit 0) …
    expect(checkGate(summary(5, 5, 0.5), []).passed).toBe(true);
  });

  it('never passes when every row failed, whatever the thresholds', () => {
    for (const t of [[], parse('failed_rate<=1'), parse('rougeL.min>=0', 'failed_rate<=1')]) {
      const g = checkGate(summary(0, 4, 0), t);
      expect(g).toMatchObject({ passed: false, allRowsFailed: true });
    }
  });

  it('reads statistics, built-in names and both equality spellings', () => {
    const s = summary(10, 0, 1);
    const r = checkGate(
      s,
      parse('rougeL.median>=0.8', 'latency.p95<=300', 'latency_p95<300', 'tokens==10', 'cost=0.5', 'nope>=1'),
    ).results;
    expect(r.map((x) => [x.actual, x.passed])).toEqual([
      [0.8, true],
      [300, true],
      [300, false],
      [10, true],
      [0.5, true],
      [null, false],
      [0, true],
    ]);
    expect(() => parseThreshold('rougeL.mode>=1')).toThrow(/unknown statistic "mode"/);
  });

  it('the summary table starts with the failed rows and their first errors', () => {
    const s = summary(1, 2, 1 / 3);
    const text = summaryTable(s, checkGate(s, parse('exact_match>=0.3')).results, [
      { rowIdx: 1, error: { code: 'sandbox_error', message: '壊れた入力' } },
    ]);
    const lines = text.split('\n');
    expect(lines[0]).toBe('FAILED ROWS: 2 of 3 (67%)');
    expect(lines[1]).toBe('  row 2: sandbox_error: 壊れた入力');
    expect(lines[2]).toBe('  … and 1 more');
    expect(text).toMatch(/FAIL failed_rate<=0 \(implied.*\): 0\.667/);
  });
});
