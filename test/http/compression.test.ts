/**
 * Builder API responses are compressed per Accept-Encoding above 1 KiB; server-sent event
 * streams never are (each run event must arrive when it happens); deployed endpoints
 * (/v1/…) are left alone.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startHarness, type Harness } from './harness';

let fake: FakeOpenAI;
let h: Harness;
beforeAll(async () => {
  fake = await startFakeOpenAI();
  h = await startHarness({ openaiUrl: fake.url });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes as they came over the wire (still compressed when they were). */
  body: Buffer;
}

/** A request with exactly these headers (fetch would add its own Accept-Encoding and decode). */
function raw(method: string, p: string, headers: Record<string, string>, body?: unknown): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      `${h.url}${p}`,
      {
        method,
        headers: { ...headers, ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('compressed API JSON', () => {
  it('a large /api response is gzip or brotli when asked, plain when not; the JSON is the same', async () => {
    const plain = await raw('GET', '/api/node-types', {});
    expect(plain.status).toBe(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.length).toBeGreaterThan(10 * 1024);
    const expected = JSON.parse(plain.body.toString('utf8')) as unknown;

    const identity = await raw('GET', '/api/node-types', { 'accept-encoding': 'identity' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.equals(plain.body)).toBe(true);

    const gz = await raw('GET', '/api/node-types', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toMatch(/accept-encoding/i);
    expect(gz.body.length).toBeLessThan(plain.body.length / 3);
    expect(JSON.parse(zlib.gunzipSync(gz.body).toString('utf8'))).toEqual(expected);

    const br = await raw('GET', '/api/node-types', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(JSON.parse(zlib.brotliDecompressSync(br.body).toString('utf8'))).toEqual(expected);
  });

  it('a run answer with Japanese text survives compression; small answers stay plain', async () => {
    const question = '日本語の質問です。'.repeat(200);
    const res = await raw('POST', '/api/flows/qa/runs', { 'accept-encoding': 'gzip' }, { inputs: { question } });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    const body = JSON.parse(zlib.gunzipSync(res.body).toString('utf8')) as { outputs: { answer: string } };
    expect(body.outputs.answer).toBe(`Echo: ${question}`);

    const small = await raw('GET', '/api/providers', { 'accept-encoding': 'gzip' });
    expect(small.status).toBe(200);
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
    // errors are JSON too: a small one is sent as it is
    const missing = await raw('GET', '/api/runs/nope', { 'accept-encoding': 'gzip' });
    expect(missing.status).toBe(404);
    expect(missing.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(missing.body.toString('utf8')) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('an SSE run stream is not compressed and delivers each event while the run is still going', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    fake.setResponder(async () => {
      await held;
      return 'ストリーム 応答 です';
    });
    const frames: string[] = [];
    let sawWhileHeld = false;
    const done = new Promise<{ headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const data = Buffer.from(JSON.stringify({ inputs: { question: '流して' } }));
      const req = http.request(
        `${h.url}/api/flows/qa/runs`,
        {
          method: 'POST',
          headers: {
            accept: 'text/event-stream',
            'accept-encoding': 'gzip, deflate, br',
            'content-type': 'application/json',
            'content-length': data.length,
          },
        },
        (res) => {
          let buf = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            buf += chunk;
            let i: number;
            while ((i = buf.indexOf('\n\n')) >= 0) {
              const frame = buf.slice(0, i);
              buf = buf.slice(i + 2);
              const event = /^event: (.+)$/m.exec(frame)?.[1];
              if (!event) continue;
              frames.push(event);
              // The model has not answered yet, so the run cannot have ended: a stream that
              // reaches us now was flushed event by event, not buffered by a compressor.
              if (event === 'node_started' && frame.includes('"nodeId":"answer"') && fake.calls.length <= 1) {
                sawWhileHeld = true;
                release();
              }
            }
          });
          res.on('end', () => resolve({ headers: res.headers }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
    const timer = setTimeout(() => release(), 8_000); // never hang the suite if the stream stalls
    const { headers } = await done;
    clearTimeout(timer);
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    expect(headers['content-encoding']).toBeUndefined();
    expect(sawWhileHeld).toBe(true);
    expect(frames[0]).toBe('run_started');
    expect(frames).toContain('token');
    expect(frames.at(-1)).toBe('result');
  });

  it('leaves deployed endpoints (/v1/…) uncompressed, even for a large answer', async () => {
    const dep = await h.api('/api/flows/qa/deployments', { method: 'POST', json: { slug: 'zip-qa' } });
    expect(dep.status).toBe(201);
    const { apiKey } = (await dep.json()) as { apiKey: string };
    const question = 'とても長い質問。'.repeat(300);
    const res = await raw(
      'POST',
      '/v1/endpoints/zip-qa',
      { authorization: `Bearer ${apiKey}`, 'accept-encoding': 'gzip, br' },
      { inputs: { question } },
    );
    expect(res.status).toBe(200);
    expect(res.body.length).toBeGreaterThan(4 * 1024);
    expect(res.headers['content-encoding']).toBeUndefined();
    expect((JSON.parse(res.body.toString('utf8')) as { outputs: { answer: string } }).outputs.answer).toBe(
      `Echo: ${question}`,
    );
  });
});
