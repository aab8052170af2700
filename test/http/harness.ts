/**
 * Test harness: the real Braid app on 127.0.0.1:0 with a temp flows folder (a copy of the
 * examples), a temp SQLite database, and (optionally) the fake OpenAI server as provider.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../server/config';
import { startServer, type RunningServer } from '../../server/app';
import type { Storage } from '../../server/storage/index';

export const TEST_API_KEY = 'sk-test-secret-0123456789abcdef';
export const EXAMPLES_DIR = fileURLToPath(new URL('../../flows', import.meta.url));

export interface Harness {
  url: string;
  config: Config;
  flowsDir: string;
  dataDir: string;
  server: RunningServer;
  api(p: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Base URL of an OpenAI-compatible server (…/v1); absent = no provider configured. */
  openaiUrl?: string;
  adminToken?: string;
  bodyLimit?: string;
  /** Copy the example flows into the flows folder (default true). */
  examples?: boolean;
  /** Extra files to write into the flows folder. */
  files?: Record<string, string>;
  /** Use this storage instead of SQLite in the data dir (the caller closes it). */
  storage?: Storage;
  /** Built client folder to serve (default: none, so `/` is the plain flow list). */
  clientDir?: string;
  /** Extra environment for loadConfig (e.g. BRAID_HTTP_ALLOW_HOSTS). */
  env?: Record<string, string>;
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-http-'));
  const flowsDir = path.join(root, 'flows');
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(flowsDir);
  if (opts.examples !== false)
    for (const f of fs.readdirSync(EXAMPLES_DIR)) fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(flowsDir, f));
  for (const [name, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(flowsDir, name), text);
  const env: Record<string, string | undefined> = {
    PORT: '0',
    HOST: '127.0.0.1',
    BRAID_FLOWS_DIR: flowsDir,
    BRAID_DATA_DIR: dataDir,
    BRAID_LOG_LEVEL: 'silent',
    BRAID_BODY_LIMIT: opts.bodyLimit ?? '1mb',
    BRAID_NODE_TIMEOUT_MS: '10000',
    ...(opts.openaiUrl ? { OPENAI_BASE_URL: opts.openaiUrl, OPENAI_API_KEY: TEST_API_KEY } : {}),
    ...(opts.adminToken ? { BRAID_ADMIN_TOKEN: opts.adminToken } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const server = await startServer(config, {
    clientDir: opts.clientDir ?? path.join(root, 'no-client'),
    ...(opts.storage ? { storage: opts.storage } : {}),
  });
  const auth: Record<string, string> = opts.adminToken ? { authorization: `Bearer ${opts.adminToken}` } : {};
  return {
    url: server.url,
    config,
    flowsDir,
    dataDir,
    server,
    api(p, init = {}) {
      const { json, headers, ...rest } = init;
      return fetch(`${server.url}${p}`, {
        ...rest,
        headers: {
          ...auth,
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(headers as Record<string, string> | undefined),
        },
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    async close() {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Send raw bytes with node:http (fetch normalises paths; these tests must not). */
export async function rawRequest(
  url: string,
  opts: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const http = await import('node:http');
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        method: opts.method,
        path: opts.path,
        headers: {
          ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export interface SseFrame {
  event: string;
  data: unknown;
}

/** Read an SSE response into frames; `onFrame` may return true to stop reading. */
export async function readSse(res: Response, onFrame?: (f: SseFrame) => boolean | void): Promise<SseFrame[]> {
  const frames: SseFrame[] = [];
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      if (data.length === 0) continue;
      const frame = { event, data: JSON.parse(data.join('\n')) as unknown };
      frames.push(frame);
      if (onFrame?.(frame)) {
        await reader.cancel();
        return frames;
      }
    }
  }
  return frames;
}

export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('waitFor: timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}
