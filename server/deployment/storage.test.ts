/** The deployment stores on both databases: versions, keys, logs with feedback, conversations, alerts. */
import { describe, expect, it } from 'vitest';
import { openTestStorage, postgresReachable, servicesRequired } from '../../test/support/storage';
import { AlertEngine } from '../monitoring/alerts';
import { ConversationStore } from './conversations';
import { hashApiKey } from './keys';
import { RequestLogStore, type LogRecord } from './logs';
import { DeploymentService } from './service';
import { promptFlow } from './testing';

function rec(traceId: string, slug: string, status: LogRecord['status'], at: number): LogRecord {
  return {
    traceId,
    slug,
    version: 1,
    api: 'endpoint',
    status,
    httpStatus: status === 'succeeded' ? 200 : 500,
    latencyMs: 12.5,
    promptTokens: 3,
    completionTokens: 2,
    totalTokens: 5,
    cost: 0.001,
    keyId: null,
    keyLabel: 'k',
    sessionId: null,
    errorCode: null,
    errorMessage: null,
    promptInjection: status === 'failed',
    inputs: { q: 'x' },
    outputs: { a: 'y' },
    trace: null,
    createdAt: at,
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`deployment storage on ${dialect}`, () => {
    it('stores versions, keys, logs, feedback, conversations and alert events', async (ctx) => {
      if (dialect === 'postgres' && !(await postgresReachable())) {
        if (servicesRequired()) throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1)');
        console.log('skipping: PostgreSQL is not reachable at 127.0.0.1:5432');
        ctx.skip();
        return;
      }
      const { storage, dispose } = await openTestStorage(dialect);
      try {
        const svc = new DeploymentService(storage);
        const d1 = await svc.deploy(promptFlow('f', 'one'), { note: 'n1' }, 'http://h');
        const d2 = await svc.deploy(promptFlow('f', 'two'), {}, 'http://h');
        expect([d1.version, d2.version]).toEqual([1, 2]);
        await expect(svc.deploy(promptFlow('g', 'x'), { slug: 'f' }, 'http://h')).rejects.toMatchObject({
          status: 409,
          code: 'slug_taken',
        });
        await svc.rollback('f', 1);
        const detail = await svc.detail('f', 'http://h');
        expect(detail.liveVersion).toBe(1);
        expect((await svc.store.version('f', 2))?.flow.nodes[1]?.config).toMatchObject({
          messages: [{ content: 'two' }, { content: '{{question}}' }],
        });
        const key = await svc.store.keyByHash(hashApiKey(d1.apiKey as string));
        expect(key).toMatchObject({ slug: 'f', label: 'default', revokedAt: null });

        const logs = new RequestLogStore(storage);
        const now = Date.now();
        logs.add(rec('t1', 'f', 'succeeded', now - 1000));
        logs.add(rec('t2', 'f', 'failed', now - 500));
        expect(await logs.feedback('f', 't1', { score: 0, sentiment: 0, comment: 'bad' })).toBe(true);
        expect(await logs.feedback('other', 't1', { score: 0, sentiment: 0, comment: null })).toBe(false);
        const page = await logs.list('f', { limit: 1 });
        expect(page.items.map((i) => i.traceId)).toEqual(['t2']);
        expect((await logs.list('f', { before: page.next as string })).items.map((i) => i.traceId)).toEqual(['t1']);
        expect((await logs.list('f', { feedback: 'negative' })).items[0]).toMatchObject({
          traceId: 't1',
          feedbackComment: 'bad',
          latencyMs: 12.5,
          cost: 0.001,
        });
        expect((await logs.get('f', 't2'))?.promptInjection).toBe(true);

        const conv = new ConversationStore(storage);
        const s1 = { scope: 'f', keyId: 'k1', sessionId: 's1' };
        await conv.append(
          s1,
          [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
          ],
          { maxMessages: 3, maxTokens: 1000 },
        );
        const after = await conv.append(
          s1,
          [
            { role: 'user', content: 'c' },
            { role: 'assistant', content: 'd' },
          ],
          { maxMessages: 3, maxTokens: 1000 },
        );
        expect(after.map((m) => m.content)).toEqual(['c', 'd']); // windowed to 3, never opening on a reply
        expect(await conv.load(s1)).toEqual(after);
        // The same session id under another key (or another deployment) is another conversation.
        expect(await conv.load({ ...s1, keyId: 'k2' })).toEqual([]);
        expect(await conv.load({ ...s1, scope: 'g' })).toEqual([]);
        // A deployment's conversation always has an owner; only the playground has none.
        await expect(conv.load({ ...s1, keyId: null })).rejects.toThrow(/belong to an API key/);
        await conv.append({ scope: 'flow:f', keyId: null, sessionId: 's1' }, [{ role: 'user', content: 'p' }], {
          maxMessages: 3,
          maxTokens: 1000,
        });
        expect(await conv.load({ scope: 'flow:f', keyId: null, sessionId: 's1' })).toHaveLength(1);
        expect(await conv.prune('f', Date.now() - 60_000)).toBe(0);
        expect(await conv.prune('f', Date.now() + 1)).toBe(1);
        expect(await conv.load(s1)).toEqual([]);

        // Revoking a key deletes its conversations; deleting a deployment deletes all of its.
        const k2 = await svc.createKey('f', 'second');
        const window = { maxMessages: 10, maxTokens: 1000 };
        await conv.append({ scope: 'f', keyId: k2.key.id, sessionId: 's' }, [{ role: 'user', content: 'x' }], window);
        await conv.append({ scope: 'f', keyId: 'k3', sessionId: 's' }, [{ role: 'user', content: 'y' }], window);
        await svc.revokeKey('f', k2.key.id);
        expect(await conv.load({ scope: 'f', keyId: k2.key.id, sessionId: 's' })).toEqual([]);
        expect(await conv.load({ scope: 'f', keyId: 'k3', sessionId: 's' })).toHaveLength(1);
        await svc.deploy(promptFlow('h', 'x'), {}, 'http://h');
        await conv.append({ scope: 'h', keyId: 'kh', sessionId: 's' }, [{ role: 'user', content: 'z' }], window);
        await svc.remove('h');
        expect(await conv.load({ scope: 'h', keyId: 'kh', sessionId: 's' })).toEqual([]);

        const alerts = new AlertEngine({
          storage,
          window: (slug, from, to) => logs.window(slug, from, to),
          slugs: async () => ['f'],
          allowHosts: [],
        });
        await alerts.createRule({ kind: 'prompt_injection', threshold: 1, windowMs: 60_000 });
        const fired = await alerts.evaluate(now);
        expect(fired).toHaveLength(1);
        expect(fired[0]).toMatchObject({ slug: 'f', kind: 'prompt_injection', value: 1, delivery: 'none' });
        expect(await alerts.evaluate(now + 1)).toHaveLength(0); // cooldown
        expect(await logs.prune('f', now)).toBe(2);
        await alerts.stop();
      } finally {
        await dispose();
      }
    });
  });
}
