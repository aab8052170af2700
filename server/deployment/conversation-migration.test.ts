/**
 * Migration 0301 on both databases: conversations stored before they were bound to a key
 * (deployment scope, no key) are deleted; the builder playground's are kept; down undoes it.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { PG_TEST_URL, postgresReachable, servicesRequired } from '../../test/support/storage';
import { openStorage, type Storage } from '../storage/index';
import { migrations } from '../storage/migrations/index';
import { ConversationStore } from './conversations';
import { deployDb } from './tables';

const NAME = '0301_conversation_key';

/** The conversations table as 0300 created it. */
type LegacyTables = {
  conversations: { id: string; scope: string; session_id: string; messages: string; updated_at: number };
};

async function open(dialect: 'sqlite' | 'postgres'): Promise<{ storage: Storage; dispose(): Promise<void> }> {
  if (dialect === 'sqlite') {
    const storage = await openStorage({ dataDir: '/nonexistent' }, { sqliteFile: ':memory:', skipMigrations: true });
    return { storage, dispose: () => storage.close() };
  }
  const schema = `braid_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const storage = await openStorage(
    { dataDir: '/nonexistent', databaseUrl: PG_TEST_URL },
    { pgSchema: schema, skipMigrations: true },
  );
  return {
    storage,
    async dispose() {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(storage.db);
      await storage.close();
    },
  };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`migration ${NAME} on ${dialect}`, () => {
    it('deletes keyless deployment conversations, keeps the playground, and is reversible', async (ctx) => {
      if (dialect === 'postgres' && !(await postgresReachable())) {
        if (servicesRequired()) throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1)');
        console.log('skipping: PostgreSQL is not reachable at 127.0.0.1:5432');
        ctx.skip();
        return;
      }
      const { storage, dispose } = await open(dialect);
      try {
        const names = Object.keys(migrations).sort();
        expect(names).toContain(NAME);
        for (const n of names.filter((x) => x < NAME)) await migrations[n]?.up(storage.db);
        const now = Date.now();
        const legacy = (id: string, scope: string, sessionId: string) => ({
          id,
          scope,
          session_id: sessionId,
          messages: JSON.stringify([{ role: 'user', content: id }]),
          updated_at: now,
        });
        await storage.db
          .withTables<LegacyTables>()
          .insertInto('conversations')
          .values([
            legacy('support:user-42', 'support', 'user-42'),
            legacy('flow:qa:playground', 'flow:qa', 'playground'),
          ])
          .execute();

        await migrations[NAME]?.up(storage.db);
        const db = deployDb(storage);
        const rows = await db.selectFrom('conversations').select(['id', 'key_id']).orderBy('id').execute();
        expect(rows).toEqual([{ id: 'flow:qa:playground', key_id: null }]);
        const conv = new ConversationStore(storage);
        expect(await conv.load({ scope: 'flow:qa', keyId: null, sessionId: 'playground' })).toHaveLength(1);
        await conv.append({ scope: 'support', keyId: 'k1', sessionId: 'user-42' }, [{ role: 'user', content: 'a' }], {
          maxMessages: 5,
          maxTokens: 100,
        });
        expect(await db.selectFrom('conversations').select('key_id').where('scope', '=', 'support').execute()).toEqual([
          { key_id: 'k1' },
        ]);

        await migrations[NAME]?.down?.(storage.db);
        const back = await storage.db.withTables<LegacyTables>().selectFrom('conversations').selectAll().execute();
        expect(back.map((r) => r.id)).toEqual(['flow:qa:playground']);
        expect(Object.keys(back[0] as object)).not.toContain('key_id');
      } finally {
        await dispose();
      }
    });
  });
}
