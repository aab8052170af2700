import { describe, expect, it } from 'vitest';
import { numberProblem } from './NumberInput';

describe('numberProblem', () => {
  it('accepts numbers in range and refuses what is out of range, half-typed or not a number', () => {
    const opts = { min: 1, max: 10_000, integer: true };
    expect(numberProblem('600', opts)).toBeNull();
    expect(numberProblem(' 42 ', opts)).toBeNull();
    expect(numberProblem('-5', opts)).toBe('Enter a number from 1 to 10,000.');
    expect(numberProblem('10001', opts)).toBe('Enter a number from 1 to 10,000.');
    expect(numberProblem('1.5', opts)).toBe('Enter a whole number.');
    expect(numberProblem('', opts)).toBe('Enter a number.');
    expect(numberProblem('-', opts)).toMatch(/Enter a number/);
    // full-width digits from a Japanese IME are numbers too
    expect(numberProblem('６００', opts)).toBeNull();
    expect(numberProblem('－５', opts)).toBe('Enter a number from 1 to 10,000.');
    expect(numberProblem('0x10', opts)).toMatch(/Enter a number/);
    expect(numberProblem('', { allowEmpty: true })).toBeNull();
    expect(numberProblem('0.25', { min: 0, max: 2 })).toBeNull();
    expect(numberProblem('3', { max: 2 })).toBe('Enter 2 or less.');
  });
});
