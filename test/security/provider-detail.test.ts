/**
 * Provider detail stays inside: when a model provider fails, a public caller (deployed
 * endpoint JSON and SSE, OpenAI-compatible chat completions, plain and streaming) gets a
 * 5xx that says what failed in Braid's words; the provider's own text and troubleshooting
 * URLs are in the trace and the request log, for the operator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai';
import { startDeployServer, promptFlow, chatFlow, type DeployServer } from '../../server/deployment/testing';

const PROVIDER_TEXT = 'プロンプトが拒否されました: content flagged by the moderation system';
const PROVIDER_URL = 'https://platform.openai.com/docs/guides/error-codes/api-errors';
const FAILURE = { status: 400, message: `${PROVIDER_TEXT}. See ${PROVIDER_URL} for help.` };

let fake: FakeOpenAI;
let s: DeployServer;
let qaKey = '';
let chatKey = '';

async function deploy(id: string): Promise<string> {
  const res = await s.api(`/api/flows/${id}/deployments`, { method: 'POST', json: {} });
  expect(res.status).toBe(201);
  return ((await res.json()) as { apiKey: string }).apiKey;
}

function leaks(text: string): string[] {
  return [PROVIDER_TEXT, 'moderation', 'platform.openai.com', 'https://', '拒否'].filter((t) => text.includes(t));
}

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({
    openaiUrl: fake.url,
    flows: [promptFlow('qa-bot', '短く答える。'), chatFlow('chatty')],
  });
  qaKey = await deploy('qa-bot');
  chatKey = await deploy('chatty');
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

describe('a provider failure seen by public callers', () => {
  it('deployed endpoint (JSON): Braid words, trace id; the provider text only in the log', async () => {
    fake.reset();
    fake.enqueue(FAILURE);
    const res = await s.call('/v1/endpoints/qa-bot', qaKey, { inputs: { question: 'Braid とは？' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(leaks(text)).toEqual([]);
    const body = JSON.parse(text) as { error: { code: string; message: string; details: { traceId: string } } };
    expect(body.error.code).toBe('run_failed');
    expect(body.error.message).toMatch(/node "answer".*model provider refused the request/);
    const log = await s.api(`/api/deployments/qa-bot/logs/${body.error.details.traceId}`);
    expect(log.status).toBe(200);
    const logText = await log.text();
    expect(logText).toContain(PROVIDER_TEXT);
    expect(logText).toContain(PROVIDER_URL);
  });

  it('deployed endpoint (SSE): the error event has no provider text either', async () => {
    fake.reset();
    fake.enqueue(FAILURE);
    const res = await s.call(
      '/v1/endpoints/qa-bot',
      qaKey,
      { inputs: { question: 'ストリームで' } },
      { accept: 'text/event-stream' },
    );
    const text = await res.text();
    expect(text).toContain('event: error');
    expect(text).toContain('model provider refused the request');
    expect(leaks(text)).toEqual([]);
  });

  it('chat completions, plain and streaming', async () => {
    for (const stream of [false, true]) {
      fake.reset();
      fake.enqueue(FAILURE);
      const res = await s.call('/v1/chat/completions', chatKey, {
        model: 'chatty',
        stream,
        messages: [{ role: 'user', content: 'こんにちは' }],
      });
      if (!stream) expect(res.status).toBe(500);
      const text = await res.text();
      expect(text, `stream=${stream}`).toContain('model provider refused the request');
      expect(leaks(text), `stream=${stream}`).toEqual([]);
    }
  });

  it('a provider 5xx (retried, then failed) is worded by Braid as well', async () => {
    fake.reset();
    const five = { status: 500, message: `upstream overloaded; see ${PROVIDER_URL}` };
    fake.enqueue(five, five, five);
    const res = await s.call('/v1/endpoints/qa-bot', qaKey, { inputs: { question: 'もう一度' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('model provider answered with a server error');
    expect(text).not.toContain('overloaded');
    expect(text).not.toContain(PROVIDER_URL);
  });
});
