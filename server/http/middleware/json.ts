import express, { type RequestHandler } from 'express';
import { sendError } from '../errors';

const FORBIDDEN_KEYS = new Set(['__proto__']);

/** Find a key that could pollute prototypes when the body is merged into an object. */
export function findPollutingKey(value: unknown, path = '$', depth = 0): string | undefined {
  if (depth > 200 || value === null || typeof value !== 'object') return undefined;
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
 * JSON body parsing with a size limit (413 above it), strict JSON (objects/arrays only),
 * and refusal of prototype-polluting keys (`__proto__`, `constructor.prototype`) with 400.
 * Mounted after auth; domains with their own auth (deployed endpoints) mount it after theirs.
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [
    express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] }),
    (req, res, next) => {
      const hit = findPollutingKey(req.body);
      if (hit) {
        sendError(res, 400, 'forbidden_key', `the request body contains a forbidden key at ${hit}`);
        return;
      }
      next();
    },
  ];
}
