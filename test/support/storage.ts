/** Test helpers: open a throwaway SQLite or PostgreSQL storage (fresh schema per call). */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { openStorage, type Storage } from '../../server/storage/index';

export const PG_TEST_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Whether 127.0.0.1:5432 accepts TCP connections (checked once). */
let pgReachable: Promise<boolean> | undefined;
export function postgresReachable(): Promise<boolean> {
  pgReachable ??= new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: 5432 });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
  return pgReachable;
}

/** Whether tests that need PostgreSQL must fail instead of skipping. */
export function servicesRequired(): boolean {
  return process.env.BRAID_REQUIRE_SERVICES === '1';
}

export interface TestStorage {
  storage: Storage;
  /** Drop the schema (pg) and close. */
  dispose(): Promise<void>;
}

export async function openTestStorage(dialect: 'sqlite' | 'postgres'): Promise<TestStorage> {
  if (dialect === 'sqlite') {
    const storage = await openStorage({ dataDir: '/nonexistent' }, { sqliteFile: ':memory:' });
    return { storage, dispose: () => storage.close() };
  }
  const schema = `braid_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  const storage = await openStorage({ dataDir: '/nonexistent', databaseUrl: PG_TEST_URL }, { pgSchema: schema });
  return {
    storage,
    async dispose() {
      const { sql } = await import('kysely');
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(storage.db);
      await storage.close();
    },
  };
}
