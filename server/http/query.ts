/**
 * Query-string parsing for list endpoints: `limit` / `offset` and similar must be integers
 * in a stated range, else 400 `invalid_query` naming the parameter (never silently passed
 * to SQL, where `LIMIT -1` means "no limit").
 */
import type { Request } from 'express';
import { HttpError } from './errors';

export interface IntRange {
  min: number;
  max: number;
}

/** An integer query parameter in [min, max]; `dflt` when absent or empty. */
export function queryInt(req: Request, name: string, dflt: number, range: IntRange): number;
export function queryInt(req: Request, name: string, dflt: undefined, range: IntRange): number | undefined;
export function queryInt(req: Request, name: string, dflt: number | undefined, range: IntRange): number | undefined {
  const v = req.query[name];
  if (v === undefined || v === '') return dflt;
  const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < range.min || n > range.max)
    throw new HttpError(400, 'invalid_query', `${name}: must be an integer from ${range.min} to ${range.max}`);
  return n;
}

/** The usual page window: `limit` 1..max (default `dflt`) and `offset` 0..10 000 000. */
export const LIMIT = (max: number): IntRange => ({ min: 1, max });
export const OFFSET: IntRange = { min: 0, max: 10_000_000 };
