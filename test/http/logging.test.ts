import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startServer, type RunningServer } from '../../server/app';
import { loadConfig } from '../../server/config';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { EXAMPLES_DIR, readSse, TEST_API_KEY } from './harness';

const TOKEN = 'log-test-admin-token-0123456789';
const lines: string[] = [];
let server: RunningServer;
let fake: FakeOpenAI;
let root: string;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-log-'));
  fs.mkdirSync(path.join(root, 'flows'));
  for (const f of fs.readdirSync(EXAMPLES_DIR))
    fs.copyFileSync(path.join(EXAMPLES_DIR, f), path.join(root, 'flows', f));
  const config = loadConfig({
    PORT: '0',
    BRAID_FLOWS_DIR: path.join(root, 'flows'),
    BRAID_DATA_DIR: path.join(root, 'data'),
    BRAID_ADMIN_TOKEN: TOKEN,
    OPENAI_API_KEY: TEST_API_KEY,
    OPENAI_BASE_URL: fake.url,
    BRAID_LOG_LEVEL: 'debug',
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString('utf8'));
      cb();
    },
  });
  server = await startServer(config, { logger: pino({ level: 'debug' }, sink), clientDir: path.join(root, 'none') });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

describe('logs and streams never carry secrets or bodies', () => {
  it('request logs have method, path, status and id — no Authorization, query values or bodies', async () => {
    const secretInput = 'my-private-question-text';
    const res = await fetch(`${server.url}/api/flows/qa/runs?token=query-secret-value`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', 'x-request-id': 'log-req-1' },
      body: JSON.stringify({ inputs: { question: secretInput } }),
    });
    expect(res.status).toBe(200);
    await fetch(`${server.url}/api/flows`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } });
    await new Promise((r) => setTimeout(r, 50));
    const all = lines.join('');
    expect(all).toContain('"reqId":"log-req-1"');
    expect(all).toContain('"path":"/api/flows/qa/runs"');
    expect(all).toContain('"status":401');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('wrong-token-wrong-token');
    expect(all).not.toContain('query-secret-value');
    expect(all).not.toContain(secretInput);
    expect(all).not.toContain(TEST_API_KEY);
  });

  it('SSE events redact a key echoed by the provider', async () => {
    fake.enqueue({ status: 401, code: 'invalid_api_key', message: `Incorrect API key provided: ${TEST_API_KEY}` });
    const res = await fetch(`${server.url}/api/flows/qa/runs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ inputs: { question: 'q' } }),
    });
    const frames = await readSse(res);
    const text = JSON.stringify(frames);
    expect(frames.at(-1)?.data).toMatchObject({ status: 'failed' });
    expect(text).not.toContain(TEST_API_KEY);
    expect(text).toContain('[redacted]');
    expect(lines.join('')).not.toContain(TEST_API_KEY);
  });
});
