/**
 * Requests are checked against the zod schemas of their shape in shared/api/ (the same
 * schemas the client's types come from). A body that does not fit is a 400 whose message
 * names every problem by path (`name: must not be empty`), with the list in
 * `details.issues` so a form can put each message at its field.
 */
import type { z } from 'zod';
import { formatPath } from '../../shared/flow/problems';
import { HttpError } from './errors';

export interface RequestIssue {
  path: string;
  message: string;
}

function issuesOf(error: z.ZodError): RequestIssue[] {
  return error.issues.map((i) => ({ path: formatPath(i.path) || '(body)', message: i.message }));
}

/** The body parsed by `schema`, or a 400 (`invalid_body` unless `code` says) naming each bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, code = 'invalid_body'): z.output<S> {
  const r = schema.safeParse(body ?? {});
  if (r.success) return r.data;
  const issues = issuesOf(r.error);
  throw new HttpError(400, code, issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}
