/**
 * Issue 9 item 13: with a deployment's `redactPii`, everything stored about its calls is
 * masked: the request log (already), feedback comments and conversation memory (both the
 * endpoint's `sessionId` and the OpenAI-compatible `user`). Callers still get real answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../../test/support/fake-openai';
import type { DeployResult } from '../../shared/api/deployment';
import { ConversationStore } from './conversations';
import { chatFlow, startDeployServer, type DeployServer } from './testing';

let fake: FakeOpenAI;
let s: DeployServer;
let key = '';

const EMAIL = 'taro.yamada@example.jp';
const PHONE = '+81 90 1234 5678';

beforeAll(async () => {
  fake = await startFakeOpenAI();
  s = await startDeployServer({ openaiUrl: fake.url, flows: [chatFlow('madoguchi')] });
  const res = await s.api('/api/flows/madoguchi/deployments', { method: 'POST', json: {} });
  key = ((await res.json()) as DeployResult).apiKey as string;
  await s.api('/api/deployments/madoguchi', { method: 'PATCH', json: { settings: { redactPii: true } } });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
});

async function storedConversations(): Promise<string> {
  const rows = await new ConversationStore(s.server.storage).db.selectFrom('conversations').selectAll().execute();
  return JSON.stringify(rows);
}

describe('PII masking covers everything a deployment stores', () => {
  it('stores endpoint and OpenAI conversation memory masked; the caller gets the real answer', async () => {
    const question = `私のメールは ${EMAIL} 、電話は ${PHONE} です。`;
    const res = await s.call('/v1/endpoints/madoguchi', key, { inputs: { question }, sessionId: 'sess-1' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { outputs: { answer: string } }).outputs.answer).toContain(EMAIL);

    const chat = await s.call('/v1/chat/completions', key, {
      model: 'madoguchi',
      user: 'hanako',
      messages: [{ role: 'user', content: `連絡先: ${EMAIL}` }],
    });
    expect(chat.status).toBe(200);
    expect(JSON.stringify(await chat.json())).toContain(EMAIL);

    const stored = await storedConversations();
    expect(stored).toContain('[email]');
    expect(stored).toContain('私のメールは');
    expect(stored).toContain('hanako');
    expect(stored).not.toContain(EMAIL);
    expect(stored).not.toContain('1234 5678');

    // The next turn of the session reads the masked memory back.
    fake.reset();
    await s.call('/v1/endpoints/madoguchi', key, { inputs: { question: '覚えていますか' }, sessionId: 'sess-1' });
    const sent = JSON.stringify(fake.calls.at(-1)?.body);
    expect(sent).toContain('[email]');
    expect(sent).not.toContain(EMAIL);
  });

  it('stores feedback comments masked', async () => {
    const res = await s.call('/v1/endpoints/madoguchi', key, { inputs: { question: 'こんにちは' } });
    const { traceId } = (await res.json()) as { traceId: string };
    const fb = await s.call('/v1/endpoints/madoguchi/feedback', key, {
      traceId,
      score: 'down',
      comment: `返信は ${EMAIL} か ${PHONE} へ`,
    });
    expect(fb.status).toBe(200);
    const log = (await (await s.api(`/api/deployments/madoguchi/logs/${traceId}`)).json()) as {
      feedbackComment: string | null;
    };
    expect(log.feedbackComment).toBe('返信は [email] か [phone] へ');
  });
});
