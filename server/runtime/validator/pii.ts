/**
 * PII detectors: email addresses, phone numbers and payment card numbers (Luhn-checked).
 * Findings are reported masked, so a trace never repeats the personal data it flagged.
 */

export type PiiKind = 'email' | 'phone' | 'card';

export interface PiiFinding {
  kind: PiiKind;
  /** A masked form of the match, e.g. `j***@example.com`, `***-***-1234`. */
  masked: string;
  index: number;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
/** 13–19 digits, optionally grouped by single spaces or dashes. */
const CARD = /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g;
/**
 * Phone numbers: an optional `+country`, then digit groups separated by spaces, dots, dashes
 * or parentheses; 9–15 digits in all (E.164 allows at most 15).
 */
const PHONE = /(?<![\w.+-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w-]|\.\d)/g;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const DATE_LIKE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{4}$/;

/** The Luhn checksum used by payment card numbers. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function maskDigits(s: string): string {
  const digits = s.replace(/\D/g, '');
  return `${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
}

function maskEmail(s: string): string {
  const at = s.indexOf('@');
  return `${s[0]}***${s.slice(at)}`;
}

export function detectPii(text: string, kinds: readonly PiiKind[]): PiiFinding[] {
  const found: PiiFinding[] = [];
  const taken: Array<[number, number]> = [];
  const overlaps = (a: number, b: number): boolean => taken.some(([x, y]) => a < y && x < b);
  if (kinds.includes('email')) {
    for (const m of text.matchAll(EMAIL)) {
      found.push({ kind: 'email', masked: maskEmail(m[0]), index: m.index });
      taken.push([m.index, m.index + m[0].length]);
    }
  }
  // Cards before phones: a Luhn-valid 13–19 digit number is a card, not a phone number.
  const cardSpans: Array<[number, number]> = [];
  for (const m of text.matchAll(CARD)) {
    const digits = m[0].replace(/\D/g, '');
    if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && !overlaps(m.index, m.index + m[0].length)) {
      cardSpans.push([m.index, m.index + m[0].length]);
      if (kinds.includes('card')) found.push({ kind: 'card', masked: maskDigits(m[0]), index: m.index });
    }
  }
  taken.push(...cardSpans);
  if (kinds.includes('phone')) {
    for (const m of text.matchAll(PHONE)) {
      const s = m[0];
      const digits = s.replace(/\D/g, '');
      if (digits.length < 9 || digits.length > 15) continue;
      if (IPV4.test(s) || DATE_LIKE.test(s)) continue;
      if (overlaps(m.index, m.index + s.length)) continue;
      // Without a `+` or parentheses, a phone number has at least two separators (or is a bare
      // 10-digit run); `1234567.89` or `12345 6789` are just numbers.
      const separators = (s.match(/[ .-]/g) ?? []).length;
      if (!/^[+(]/.test(s) && !s.includes('(') && separators < 2 && !(separators === 0 && digits.length === 10))
        continue;
      found.push({ kind: 'phone', masked: maskDigits(s), index: m.index });
    }
  }
  return found.sort((a, b) => a.index - b.index);
}
