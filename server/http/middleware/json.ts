import express, { type Request, type RequestHandler } from 'express';
import { HttpError } from '../errors';

const FORBIDDEN_KEYS = new Set(['__proto__']);

/**
 * Deepest nesting accepted in a JSON body. Real flows, inputs and rows stay far below; a
 * deeper value would overflow the stack of recursive code downstream (stable stringify,
 * schema validation) and turn bad input into a 500.
 */
export const MAX_JSON_DEPTH = 256;

/** Whether a parsed JSON value nests deeper than `max` (iterative: safe on any depth). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
  return false;
}

/** Find a key that could pollute prototypes when the body is merged into an object. */
export function findPollutingKey(value: unknown, path = '$', depth = 0): string | undefined {
  if (depth > MAX_JSON_DEPTH || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = findPollutingKey(value[i], `${path}[${i}]`, depth + 1);
      if (hit) return hit;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (FORBIDDEN_KEYS.has(key)) return `${path}.${key}`;
    if (
      key === 'constructor' &&
      child !== null &&
      typeof child === 'object' &&
      Object.prototype.hasOwnProperty.call(child, 'prototype')
    ) {
      return `${path}.constructor.prototype`;
    }
    const hit = findPollutingKey(child, `${path}.${key}`, depth + 1);
    if (hit) return hit;
  }
  return undefined;
}

/**
 * What downstream code must not see in a parsed body (400 `too_deep` or `forbidden_key`),
 * or undefined. The depth is checked first: the key search recurses.
 */
export function bodyProblem(value: unknown): HttpError | undefined {
  if (nestsDeeperThan(value, MAX_JSON_DEPTH))
    return new HttpError(400, 'too_deep', `the request body nests deeper than ${MAX_JSON_DEPTH} levels`);
  const hit = findPollutingKey(value);
  if (hit) return new HttpError(400, 'forbidden_key', `the request body contains a forbidden key at ${hit}`);
  return undefined;
}

const JSON_TYPES = ['application/json', 'application/*+json'];
const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** Bytes of a body-parser style limit (`"1mb"`, `"512kb"`, `"2048b"`, `"100"`); Infinity if unparsed (body-parser still applies it). */
export function limitBytes(limit: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(limit);
  if (!m) return Infinity;
  return Math.floor(Number(m[1]) * (UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1));
}

/** Whether a request carries body bytes (a chunked body, or a Content-Length above 0). */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n > 0;
}

/**
 * JSON body parsing with a size limit (413 above it), strict JSON (objects/arrays only),
 * and refusal of prototype-polluting keys (`__proto__`, `constructor.prototype`) with 400.
 * A body of another type (`text/plain`, a form, none declared) is 415 unless `acceptsRaw`
 * says the route takes it (uploads): a JSON route never reads a body it did not parse, and
 * a cross-site "simple" request (text/plain needs no CORS preflight) cannot pass as JSON.
 * Mounted after auth; domains with their own auth (deployed endpoints) mount it after theirs.
 */
export function jsonBody(limit: string, opts: { acceptsRaw?: (req: Request) => boolean } = {}): RequestHandler[] {
  const max = limitBytes(limit);
  return [
    (req, _res, next) => {
      if (!hasBody(req) || req.is(JSON_TYPES) || opts.acceptsRaw?.(req)) {
        next();
        return;
      }
      const type = (req.get('content-type') ?? '').split(';')[0]?.trim().slice(0, 100);
      next(
        new HttpError(
          415,
          'unsupported_media_type',
          `this route takes a JSON body (Content-Type: application/json), not ${type || 'a body without Content-Type'}`,
        ),
      );
    },
    // A declared Content-Length over the limit is refused at once and the connection closed:
    // body-parser would first read (and discard) the whole body before answering 413.
    (req, res, next) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > max && req.is(JSON_TYPES)) {
        res.setHeader('Connection', 'close');
        next(
          Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, expose: true }),
        );
        return;
      }
      next();
    },
    express.json({ limit, strict: true, type: JSON_TYPES }),
    // through next(): callers that run this chain by hand (deployed endpoints) settle too
    (req, _res, next) => next(bodyProblem(req.body)),
  ];
}
