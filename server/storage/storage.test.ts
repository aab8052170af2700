import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Trace } from '../../shared';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { checkpointWal, openStorage, fromJson, SQLITE_WAL_LIMIT_BYTES, toJson } from './index';
import { RunsRepository } from './runs';
import { openTestStorage, postgresReachable, servicesRequired, type TestStorage } from '../../test/support/storage';

function trace(runId: string, flowId: string, startedAt: number, status: Trace['status'] = 'succeeded'): Trace {
  return {
    runId,
    flowId,
    status,
    startedAt,
    durationMs: 41.6, // the runtime reports fractional ms; columns are integers
    inputs: { question: 'q' },
    outputs: { answer: 'a' },
    spans: [],
    usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7, cost: 0.00125 },
    ...(status === 'failed' ? { error: { code: 'boom', message: 'it broke', nodeId: 'n1' } } : {}),
  };
}

const pgUp = await postgresReachable();
if (!pgUp && servicesRequired())
  throw new Error('PostgreSQL at 127.0.0.1:5432 is required (BRAID_REQUIRE_SERVICES=1) but unreachable');
if (!pgUp) console.warn('[storage.test] skipping PostgreSQL cases: nothing listens on 127.0.0.1:5432');

describe.each([
  ['sqlite', true],
  ['postgres', pgUp],
] as const)('storage on %s', (dialect, enabled) => {
  let t: TestStorage;
  let runs: RunsRepository;
  beforeAll(async () => {
    if (!enabled) return;
    t = await openTestStorage(dialect);
    runs = new RunsRepository(t.storage);
  });
  afterAll(async () => {
    if (enabled) await t.dispose();
  });

  it.skipIf(!enabled)('reports its dialect', () => {
    expect(t.storage.dialect).toBe(dialect);
  });

  it.skipIf(!enabled)('inserts on start, updates on finish, reads back with numbers', async () => {
    await runs.insertStarted({ runId: 'r1', flowId: 'qa', startedAt: 1_700_000_000_123, inputs: { question: 'q' } });
    const started = await runs.get('r1');
    expect(started?.status).toBe('running');
    expect(started?.startedAt).toBe(1_700_000_000_123);
    expect(started?.trace).toBeUndefined();
    await runs.finish(trace('r1', 'qa', 1_700_000_000_123));
    const done = await runs.get('r1');
    expect(done?.status).toBe('succeeded');
    expect(done?.durationMs).toBe(42);
    expect(typeof done?.startedAt).toBe('number');
    expect(done?.finishedAt).toBe(1_700_000_000_165);
    expect(done?.usage).toEqual({ promptTokens: 3, completionTokens: 4, totalTokens: 7, cost: 0.00125 });
    expect(done?.outputs).toEqual({ answer: 'a' });
    expect(done?.trace?.runId).toBe('r1');
  });

  it.skipIf(!enabled)('finish without a start inserts the row; errors round-trip', async () => {
    await runs.finish(trace('r2', 'qa', 1_700_000_000_200, 'failed'), { source: 'cli' });
    const r = await runs.get('r2');
    expect(r?.status).toBe('failed');
    expect(r?.source).toBe('cli');
    expect(r?.error).toEqual({ code: 'boom', message: 'it broke', nodeId: 'n1' });
    expect(await runs.get('missing')).toBeUndefined();
  });

  it.skipIf(!enabled)('lists a flow newest first with a cursor', async () => {
    for (let i = 0; i < 5; i++) await runs.finish(trace(`p${i}`, 'paged', 1_000 + i));
    await runs.finish(trace('other', 'other-flow', 5_000));
    const first = await runs.listByFlow('paged', { limit: 2 });
    expect(first.runs.map((r) => r.runId)).toEqual(['p4', 'p3']);
    expect(first.nextCursor).toBeTruthy();
    const second = await runs.listByFlow('paged', { limit: 2, before: first.nextCursor });
    expect(second.runs.map((r) => r.runId)).toEqual(['p2', 'p1']);
    const third = await runs.listByFlow('paged', { limit: 2, before: second.nextCursor });
    expect(third.runs.map((r) => r.runId)).toEqual(['p0']);
    expect(third.nextCursor).toBeUndefined();
  });

  it.skipIf(!enabled)('marks abandoned running rows failed', async () => {
    await runs.insertStarted({ runId: 'stale', flowId: 'qa', startedAt: 10, inputs: {} });
    expect(await runs.markAbandoned(Date.now())).toBeGreaterThanOrEqual(1);
    expect((await runs.get('stale'))?.status).toBe('failed');
  });
});

describe('sqlite file storage', () => {
  it('creates braid.db in the data dir, in WAL mode, and migrations are idempotent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-storage-'));
    const s1 = await openStorage({ dataDir: dir });
    await new RunsRepository(s1).finish(trace('keep', 'qa', 1));
    await s1.close();
    expect(fs.existsSync(path.join(dir, 'braid.db'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'braid.db-wal')) || fs.existsSync(path.join(dir, 'braid.db'))).toBe(true);
    const s2 = await openStorage({ dataDir: dir });
    expect((await new RunsRepository(s2).get('keep'))?.flowId).toBe('qa');
    await s2.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the WAL bounded: a burst larger than the limit does not leave a WAL that size', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-wal-'));
    const wal = path.join(dir, 'braid.db-wal');
    const s = await openStorage({ dataDir: dir });
    try {
      await sql`create table wal_burst (id integer primary key, b blob)`.execute(s.db);
      // A reader of another process holds its snapshot: checkpoints cannot reset the log meanwhile.
      const reader = new Database(path.join(dir, 'braid.db'), { readonly: true });
      reader.prepare('begin').run();
      reader.prepare('select count(*) from wal_burst').get();
      const burst = sql`insert into wal_burst (b)
        select randomblob(262144) from (with recursive c(x) as (select 1 union all select x + 1 from c where x < 64) select x from c)`;
      for (let i = 0; i < 3; i++) await burst.execute(s.db); // 3 × 16 MiB
      expect(fs.statSync(wal).size).toBeGreaterThan(SQLITE_WAL_LIMIT_BYTES);
      reader.prepare('commit').run();
      reader.close();
      // The next writes checkpoint and restart the log, truncating it to the limit.
      for (let i = 0; i < 3; i++) await sql`insert into wal_burst (b) values (randomblob(100))`.execute(s.db);
      expect(fs.statSync(wal).size).toBeLessThanOrEqual(SQLITE_WAL_LIMIT_BYTES);
    } finally {
      await s.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('checkpointWal empties the WAL when nothing holds it, and never waits for a reader', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'braid-wal-'));
    const file = path.join(dir, 'w.db');
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec('create table t (b blob)');
      const reader = new Database(file, { readonly: true });
      reader.prepare('begin').run();
      reader.prepare('select count(*) from t').get();
      db.prepare('insert into t values (randomblob(1048576))').run();
      const t0 = performance.now();
      expect(checkpointWal(db)).toBe(false); // a reader: busy, answered at once
      expect(performance.now() - t0).toBeLessThan(1000);
      reader.prepare('commit').run();
      reader.close();
      expect(checkpointWal(db)).toBe(true);
      expect(fs.statSync(`${file}-wal`).size).toBe(0);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('toJson/fromJson', () => {
    expect(toJson(undefined)).toBeNull();
    expect(fromJson(toJson({ a: [1] }))).toEqual({ a: [1] });
    expect(fromJson(null, 5)).toBe(5);
  });
});

describe.skipIf(!pgUp)('postgres migrations', () => {
  it("ignore Kysely's bookkeeping tables in other schemas of the same database", async () => {
    const { sql } = await import('kysely');
    const decoy = await openTestStorage('postgres');
    const other = await openTestStorage('postgres');
    try {
      // `decoy` already has kysely_migration(_lock) in its schema; `other` must still
      // create and use its own instead of finding the decoy's and failing.
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables
        where table_name = 'kysely_migration_lock' and table_schema = current_schema()`.execute(other.storage.db);
      expect(rows[0]?.n).toBe(1);
      const runs = new RunsRepository(other.storage);
      await runs.insertStarted({ runId: 'r-decoy', flowId: 'f', startedAt: 1, inputs: {} });
      expect((await runs.get('r-decoy'))?.flowId).toBe('f');
    } finally {
      await other.dispose();
      await decoy.dispose();
    }
  });
  it('introspect the current schema only, so another client dropping its schema cannot fail a migration', async () => {
    const { sql } = await import('kysely');
    const { migrate } = await import('./index');
    const mine = await openTestStorage('postgres');
    try {
      const tables = await mine.storage.db.introspection.getTables({ withInternalKyselyTables: true });
      const schema = (await sql<{ s: string }>`select current_schema() as s`.execute(mine.storage.db)).rows[0]?.s;
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([schema]));
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['runs', 'datasets', 'kysely_migration']));
      expect((await mine.storage.db.introspection.getTables()).map((t) => t.name)).not.toContain('kysely_migration');
      // Schemas with tables (a full Braid schema each) dropped while this one migrates again,
      // over and over: Kysely's own introspector read every schema's columns and failed with
      // the dropped one's "column … does not exist".
      for (let round = 0; round < 5; round++) {
        const doomed = await Promise.all([openTestStorage('postgres'), openTestStorage('postgres')]);
        const results = await Promise.all([
          ...doomed.map((d) => d.dispose()),
          migrate(mine.storage.db, 'postgres'),
          migrate(mine.storage.db, 'postgres'),
        ]);
        expect(results.slice(2)).toEqual([[], []]);
      }
    } finally {
      await mine.dispose();
    }
  }, 60_000);
});
