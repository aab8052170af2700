/** The stream redactor catches a secret however a stream cuts it into pieces. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, StreamRedactor } from '../../server/flows/redact';

const SECRETS = ['sk-test-SECRET-openai-4f1c9a77d2e84b1b', 'sk-ant-SECRET-0e5d3c2b1a'];

function run(text: string, cuts: number[]): string {
  const r = new StreamRedactor(SECRETS);
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  let out = '';
  let prev = 0;
  for (const p of [...points, text.length]) {
    out += r.push('n', text.slice(prev, p));
    prev = p;
  }
  return out + r.flush('n');
}

describe('StreamRedactor', () => {
  it('redacts a secret split at every position, and passes other text through unchanged', () => {
    const text = `a ${SECRETS[0]} b sk- s ${SECRETS[1]}${SECRETS[0]} end s`;
    for (let i = 0; i <= text.length; i++) {
      for (const j of [i + 1, i + 3, i + 17]) {
        const out = run(text, [i, j]);
        expect(out).toBe(`a ${REDACTED} b sk- s ${REDACTED}${REDACTED} end s`);
      }
    }
    expect(run('plain text, no secrets', [3, 7, 9])).toBe('plain text, no secrets');
  });

  it('property: for any text and any cuts, the output equals the whole text redacted', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...SECRETS),
            fc.constantFrom('sk-', 's', 'sk-test-', ' ', 'x'),
            fc.string({ maxLength: 8 }),
          ),
          { maxLength: 12 },
        ),
        fc.array(fc.nat(400), { maxLength: 20 }),
        (parts, cuts) => {
          const text = parts.join('');
          const expected = SECRETS.reduce((t, s) => t.split(s).join(REDACTED), text);
          const out = run(text, cuts);
          expect(out).toBe(SECRETS.reduce((t, s) => t.split(s).join(REDACTED), out));
          expect(out.includes(SECRETS[0] ?? '')).toBe(false);
          // whole-text redaction may differ only where secrets overlap; here it never does
          expect(out).toBe(expected);
        },
      ),
      { numRuns: 400 },
    );
  });
});
