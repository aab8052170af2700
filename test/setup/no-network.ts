/**
 * Every test file runs with this: a DNS lookup of anything but a loopback name fails the
 * test file, so a hidden fetch to the internet (e.g. tiktoken ranks) is caught.
 * Tests that exercise the SSRF guard with public-looking names inject their own resolver.
 */
import dns from 'node:dns';
import { afterAll } from 'vitest';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]', 'ip6-localhost']);
const violations: string[] = [];

function allowed(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK.has(h) || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h);
}

const origLookup = dns.lookup;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(dns as any).lookup = function guardedLookup(host: string, ...rest: unknown[]) {
  if (!allowed(host)) {
    violations.push(host);
    const cb = rest[rest.length - 1] as (err: Error) => void;
    const err = Object.assign(new Error(`test suite: non-loopback DNS lookup refused: ${host}`), { code: 'ENOTFOUND' });
    if (typeof cb === 'function') {
      process.nextTick(() => cb(err));
      return;
    }
    throw err;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (origLookup as any).call(this, host, ...rest);
};
const origPromisesLookup = dns.promises.lookup;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(dns.promises as any).lookup = async function guardedPromiseLookup(host: string, ...rest: unknown[]) {
  if (!allowed(host)) {
    violations.push(host);
    throw Object.assign(new Error(`test suite: non-loopback DNS lookup refused: ${host}`), { code: 'ENOTFOUND' });
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (origPromisesLookup as any).call(this, host, ...rest);
};

afterAll(() => {
  if (violations.length > 0) {
    throw new Error(`non-loopback DNS lookups were attempted: ${[...new Set(violations)].join(', ')}`);
  }
});
