import { describe, expect, it } from 'vitest';
import { jsonPreview, sizeLabel } from './jsonPreview';

describe('jsonPreview', () => {
  it('shows a small value whole, strings as they are', () => {
    const small = JSON.stringify({ a: [1, 2] }, null, 2);
    expect(jsonPreview({ a: [1, 2] })).toEqual({ text: small, hidden: 0, total: small.length });
    expect(jsonPreview('日本語のテキスト')).toMatchObject({ text: '日本語のテキスト', hidden: 0 });
    expect(jsonPreview(undefined).text).toBe('—');
  });

  it('cuts a 10,000-item list at a line end within the limit and counts what it left out', () => {
    const items = Array.from({ length: 10_000 }, (_, i) => `文書${i}`);
    const whole = JSON.stringify(items, null, 2);
    const p = jsonPreview(items, 1000);
    expect(p.text.length).toBeLessThanOrEqual(1000);
    expect(p.text.length).toBeGreaterThan(500);
    expect(whole.startsWith(p.text)).toBe(true);
    expect(whole[p.text.length]).toBe('\n');
    expect(p.hidden).toBe(whole.length - p.text.length);
    expect(p.total).toBe(whole.length);
    expect(jsonPreview(items, 1000, true)).toEqual({ text: whole, hidden: 0, total: whole.length });
  });

  it('cuts a long line with no line end near the limit at the limit', () => {
    const p = jsonPreview('x'.repeat(5000), 1000);
    expect(p.text).toBe('x'.repeat(1000));
    expect(p.hidden).toBe(4000);
  });

  it('labels sizes', () => {
    expect(sizeLabel(950)).toBe('950 characters');
    expect(sizeLabel(583_112)).toBe('583 K characters');
    expect(sizeLabel(4_020_000)).toBe('4.0 M characters');
  });
});
