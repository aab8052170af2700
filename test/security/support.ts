/**
 * Helpers for the security suite: stream a large body and see when the server answers,
 * and a fetch-like call that keeps the raw path.
 */
import http from 'node:http';

export interface BigBodyResult {
  status: number;
  /** Bytes the client had written when the response headers arrived. */
  sentBeforeResponse: number;
  /** Milliseconds from the first byte to the response headers. */
  ms: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * POST `totalBytes` of JSON-looking bytes to `path`, 64 KiB at a time, honouring back-pressure,
 * and stop writing as soon as the response arrives (or the server closes the socket).
 */
export function postBigBody(
  baseUrl: string,
  path: string,
  totalBytes: number,
  headers: Record<string, string> = {},
): Promise<BigBodyResult> {
  const u = new URL(baseUrl);
  const chunk = Buffer.alloc(64 * 1024, 0x61); // "aaaa…"
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let sent = 0;
    let responded = false;
    const req = http.request({
      host: u.hostname,
      port: u.port,
      method: 'POST',
      path,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': String(totalBytes), ...headers },
    });
    req.on('response', (res) => {
      responded = true;
      const sentBeforeResponse = sent;
      const ms = performance.now() - t0;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      const done = () => {
        req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          sentBeforeResponse,
          ms,
          headers: res.headers,
          body: Buffer.concat(parts).toString('utf8'),
        });
      };
      res.on('end', done);
      res.on('error', done);
    });
    req.on('error', (err) => {
      if (!responded) reject(err);
    });
    const pump = (): void => {
      while (!responded && sent < totalBytes) {
        const n = Math.min(chunk.length, totalBytes - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once('drain', pump);
          return;
        }
      }
      if (sent >= totalBytes && !responded) req.end();
    };
    pump();
  });
}

export const BOUNDARY = 'braid-test-boundary';

/** A multipart body with one file part whose content and closing boundary never arrive in full. */
export function truncatedMultipart(field: string, filename: string): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\n` +
      `Content-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
      'Content-Type: text/plain\r\n\r\n' +
      '質問,答え\n東京はどこ？,日本\n'.repeat(200),
  );
}

/** POST a raw body (its end is the end of the request) and read the answer. */
export function postRaw(
  baseUrl: string,
  urlPath: string,
  body: Buffer,
  contentType = `multipart/form-data; boundary=${BOUNDARY}`,
): Promise<{ status: number; body: string }> {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: 'POST',
        path: urlPath,
        agent: false,
        headers: { 'content-type': contentType, 'content-length': String(body.length) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
