/**
 * One way to read a multipart/form-data request (dataset and knowledge uploads). Every way
 * the body can be wrong ends in ONE HttpError, reported once: headers busboy cannot use, a
 * body whose closing boundary never comes ("Unexpected end of form"), a part cut short, the
 * client going away mid-upload. File part streams always carry an error listener, so a
 * malformed body can never become an uncaught 'error' event that ends the process; a
 * consumer reading a part sees the stream fail and asks `error()` for the reason to answer.
 */
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request, Response } from 'express';
import { HttpError } from './errors';

export interface MultipartOptions {
  limits: busboy.Limits;
  /** Charset of non-ASCII file names (busboy's default is latin1). */
  defParamCharset?: string;
  onField?(name: string, value: string): void;
  /** A file part: consume `stream` (pipe it somewhere or resume it). */
  onFile(field: string, stream: Readable, info: busboy.FileInfo): void;
  /** More files or fields than `limits` allow: the returned error ends the upload. */
  onFilesLimit?(): HttpError;
  onFieldsLimit?(): HttpError;
}

export interface MultipartReader {
  /** Resolves once the closing boundary is read and every part delivered; rejects with the upload's error. */
  done: Promise<void>;
  /** The error that ended the upload, if one did. */
  error(): HttpError | undefined;
  /** End the upload with `err` (e.g. over a size cap): reading stops and `done` rejects. */
  stop(err: HttpError): void;
}

/** Errors busboy gives a part when the body around it is broken (not ones a consumer caused). */
const BUSBOY_BODY_ERROR = /^(Unexpected end of (file|form)|Malformed part header)/;

/** The 400 for a body busboy could not read, in words a caller can act on. */
export function malformedMultipart(err: unknown): HttpError {
  const why = err instanceof Error ? err.message : String(err);
  const hint = /unexpected end/i.test(why)
    ? 'the body ended before its closing boundary (the upload was cut short or is not well-formed multipart)'
    : 'the body is not well-formed multipart/form-data';
  return new HttpError(400, 'invalid_body', `bad multipart body: ${hint} (${why})`);
}

/**
 * Parse `req` as multipart/form-data. The caller awaits `done`; on failure it removes what
 * it staged. When the upload ends early the rest of the body is not read, so the response
 * closes the connection.
 */
export function readMultipart(req: Request, res: Response, opts: MultipartOptions): MultipartReader {
  let failure: HttpError | undefined;
  let finished = false;
  let settle!: { resolve: () => void; reject: (e: HttpError) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  // a caller that stops awaiting after its own failure must not see an unhandled rejection
  done.catch(() => undefined);

  let bb: busboy.Busboy;
  try {
    bb = busboy({
      headers: req.headers,
      limits: opts.limits,
      ...(opts.defParamCharset ? { defParamCharset: opts.defParamCharset } : {}),
    });
  } catch (err) {
    failure = new HttpError(
      400,
      'invalid_body',
      `send a multipart/form-data body with a boundary (${err instanceof Error ? err.message : String(err)})`,
    );
    settle.reject(failure);
    return { done, error: () => failure, stop: () => undefined };
  }

  const files: Readable[] = [];
  const stop = (err: HttpError): void => {
    if (failure || finished) return;
    failure = err;
    req.unpipe(bb);
    req.pause();
    if (!res.headersSent) res.setHeader('Connection', 'close');
    // a part still being read ends now, with the same error its consumer can look up
    for (const f of files) if (!f.destroyed) f.destroy(err);
    bb.removeAllListeners('file');
    bb.on('error', () => undefined);
    bb.destroy();
    settle.reject(err);
  };

  bb.on('field', (name, value) => opts.onField?.(name, value));
  bb.on('file', (field, stream, info) => {
    files.push(stream);
    // busboy fails a part it cannot finish before it reports the body's error: take the
    // reason now, so a consumer whose read just failed finds it in `error()`
    stream.on('error', (err) => {
      if (!(err instanceof HttpError) && BUSBOY_BODY_ERROR.test(err.message)) stop(malformedMultipart(err));
    });
    if (failure) {
      stream.resume();
      return;
    }
    opts.onFile(field, stream, info);
  });
  if (opts.onFilesLimit) {
    const limitErr = opts.onFilesLimit;
    bb.on('filesLimit', () => stop(limitErr()));
  }
  if (opts.onFieldsLimit) {
    const limitErr = opts.onFieldsLimit;
    bb.on('fieldsLimit', () => stop(limitErr()));
  }
  bb.on('error', (err) => stop(malformedMultipart(err)));
  bb.on('close', () => {
    if (failure) return;
    finished = true;
    settle.resolve();
  });
  // a client that goes away mid-upload: nothing will finish the body
  req.on('close', () => {
    if (!finished && !failure && !req.complete)
      stop(new HttpError(400, 'upload_aborted', 'the client closed the connection before the upload ended'));
  });
  req.pipe(bb);
  return { done, error: () => failure, stop };
}
