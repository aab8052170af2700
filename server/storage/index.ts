/**
 * The storage interface: one Kysely instance over SQLite (default, file
 * `<BRAID_DATA_DIR>/braid.db`) or PostgreSQL (`DATABASE_URL`), with migrations applied.
 * Domains type their own tables with `storage.db.withTables<TheirTables>()`.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  sql,
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type MigrationProvider,
  type SqliteDialectConfig,
  type TableMetadata,
} from 'kysely';
import type { Config } from '../config';
import { migrations } from './migrations/index';
import type { CoreTables } from './tables';

export type { CoreTables, RunsTable } from './tables';

export type Dialect = 'sqlite' | 'postgres';

export interface Storage {
  db: Kysely<CoreTables>;
  dialect: Dialect;
  /**
   * SQLite only: the connection under `db`, for synchronous batched writes on hot paths (the
   * request log). Use it only when `!inTransaction` — Kysely may hold a transaction open on
   * it across awaits — and fall back to `db` when it throws (a statement still stepping).
   */
  sqlite?: BetterSqlite;
  close(): Promise<void>;
}

export interface OpenStorageOptions {
  /** PostgreSQL only: use (and create) this schema instead of the connection's default. */
  pgSchema?: string;
  /** SQLite only: open this file instead of `<dataDir>/braid.db` (':memory:' for tests). */
  sqliteFile?: string;
  /** Skip migrations (a caller that only reads). Default false. */
  skipMigrations?: boolean;
}

export class StorageError extends Error {
  constructor(message: string, opts?: { cause?: unknown }) {
    super(message, opts);
    this.name = 'StorageError';
  }
}

/** Serialize a value for a JSON text column (undefined → null). */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Parse a JSON text column (null → undefined unless a fallback is given). */
export function fromJson<T>(text: string | null | undefined, fallback?: T): T {
  if (text === null || text === undefined) return fallback as T;
  return JSON.parse(text) as T;
}

const PG_INT8 = 20;
const PG_NUMERIC = 1700;

/**
 * Bytes of write-ahead log SQLite keeps once a checkpoint has copied it into the database
 * (`journal_size_limit`). Without it the -wal file stays at the size of the biggest burst
 * (a long export or a slow reader starves the checkpoints; hundreds of MB) for ever.
 */
export const SQLITE_WAL_LIMIT_BYTES = 32 * 1024 * 1024;
/** How often an idle connection checkpoints and truncates the WAL itself. */
export const SQLITE_CHECKPOINT_EVERY_MS = 60_000;
const BUSY_TIMEOUT_MS = 5000;

type BetterSqlite = import('better-sqlite3').Database;

/**
 * Checkpoint and truncate the WAL unless a transaction or statement of this connection is
 * open. Never waits: readers of other processes make it return `false` (tried again later).
 */
export function checkpointWal(sqlite: BetterSqlite): boolean {
  if (!sqlite.open || sqlite.inTransaction) return false;
  try {
    sqlite.pragma('busy_timeout = 0');
    const [r] = sqlite.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    return r?.busy === 0;
  } catch {
    return false; // a statement of this connection is still stepping (a streamed query)
  } finally {
    if (sqlite.open) sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

async function sqliteDialect(
  config: Pick<Config, 'dataDir'>,
  opts: OpenStorageOptions,
): Promise<{ dialect: SqliteDialect; sqlite: BetterSqlite; stop: () => void }> {
  const { default: Database } = await import('better-sqlite3');
  const file = opts.sqliteFile ?? path.join(config.dataDir, 'braid.db');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma(`journal_size_limit = ${SQLITE_WAL_LIMIT_BYTES}`);
  const timer = setInterval(() => checkpointWal(sqlite), SQLITE_CHECKPOINT_EVERY_MS);
  timer.unref();
  return {
    dialect: new SqliteDialect({ database: reusingStatements(sqlite) }),
    sqlite,
    stop: () => clearInterval(timer),
  };
}

type SqliteDatabase = SqliteDialectConfig['database'] extends infer D ? Exclude<D, () => unknown> : never;
type SqliteStatement = ReturnType<SqliteDatabase['prepare']>;

/**
 * The database as Kysely sees it, with prepared statements reused by SQL text (bounded,
 * least recently used dropped). Kysely's SQLite driver prepares every query afresh (about
 * 6 µs of CPU for a run's insert or update, next to about 25 µs to run it; see
 * bench/RESULTS.md, "Runtime: one-prompt run overhead"). Kysely runs one query at a time on
 * its single connection, so a statement is never in use twice at once, and SQLite
 * re-prepares a statement by itself after a schema change.
 */
function reusingStatements(db: SqliteDatabase, max = 256): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close() {
      cache.clear();
      db.close();
    },
    prepare(sql) {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql); // refresh its LRU position
      } else {
        stmt = db.prepare(sql);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

/**
 * Kysely's PostgreSQL introspection, limited to the current schema and to table names.
 * The Migrator asks it whether its bookkeeping tables exist; Kysely's own introspector reads
 * every column of every table in every schema (with `pg_get_serial_sequence` per column), so
 * a schema dropped by another client during that query failed our migration with that
 * schema's error ("column … of relation … does not exist": seen when tests in parallel drop
 * their schemas), and it grows with the database. Columns are not listed: nothing here reads
 * them.
 */
export class CurrentSchemaIntrospector implements DatabaseIntrospector {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  constructor(private readonly db: Kysely<any>) {}

  async getSchemas(): Promise<Array<{ name: string }>> {
    return (await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace`.execute(this.db)).rows;
  }

  async getTables(options: { withInternalKyselyTables?: boolean } = {}): Promise<TableMetadata[]> {
    const { rows } = await sql<{ schema: string; name: string; kind: string }>`
      select n.nspname as schema, c.relname as name, c.relkind as kind
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and c.relkind in ('r', 'p', 'v', 'm')
      order by c.relname`.execute(this.db);
    return rows
      .filter((t) => options.withInternalKyselyTables || !t.name.startsWith('kysely_migration'))
      .map((t) => ({ name: t.name, schema: t.schema, isView: t.kind === 'v' || t.kind === 'm', columns: [] }));
  }

  async getMetadata(options?: { withInternalKyselyTables?: boolean }): Promise<DatabaseMetadata> {
    return { tables: await this.getTables(options) };
  }
}

class BraidPostgresDialect extends PostgresDialect {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}

async function postgresDialect(url: string, opts: OpenStorageOptions): Promise<PostgresDialect> {
  const pg = await import('pg');
  const { Pool, types } = pg.default;
  const parsers = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      // Epoch-ms timestamps and counters fit easily in a double.
      if (oid === PG_INT8 || oid === PG_NUMERIC) return (v: string) => Number(v);
      return format ? types.getTypeParser(oid, format) : types.getTypeParser(oid);
    },
  };
  const pool = new Pool({ connectionString: url, max: 10, types: parsers as never });
  const schema = opts.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new StorageError(`unsafe schema name: ${schema}`);
  return new BraidPostgresDialect({
    pool,
    onCreateConnection: schema
      ? async (conn) => {
          await conn.executeQuery(CompiledQuery.raw(`create schema if not exists "${schema}"`));
          await conn.executeQuery(CompiledQuery.raw(`set search_path to "${schema}"`));
        }
      : undefined,
  });
}

/** Apply every pending migration from migrations/index.ts. */
export async function migrate(db: Kysely<CoreTables>, dialect: Dialect = 'sqlite'): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // On PostgreSQL, Kysely looks for its migration tables in every schema unless told which
  // one: a kysely_migration_lock in another schema (another Braid, a test) would make it
  // skip creating ours and then fail. Pin the bookkeeping tables to the current schema.
  const migrationTableSchema =
    dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({
    db,
    provider,
    allowUnorderedMigrations: true,
    ...(migrationTableSchema ? { migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new StorageError(
      `migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Open the database named by the config and bring its schema up to date. */
export async function openStorage(
  config: Pick<Config, 'dataDir' | 'databaseUrl'>,
  opts: OpenStorageOptions = {},
): Promise<Storage> {
  const dialect: Dialect = config.databaseUrl ? 'postgres' : 'sqlite';
  const sqlite = config.databaseUrl ? undefined : await sqliteDialect(config, opts);
  const db = new Kysely<CoreTables>({
    dialect: sqlite ? sqlite.dialect : await postgresDialect(config.databaseUrl as string, opts),
  });
  try {
    if (!opts.skipMigrations) await migrate(db, dialect);
  } catch (err) {
    sqlite?.stop();
    await db.destroy();
    throw err;
  }
  let closed = false;
  return {
    db,
    dialect,
    ...(sqlite ? { sqlite: sqlite.sqlite } : {}),
    async close() {
      if (closed) return;
      closed = true;
      sqlite?.stop();
      await db.destroy();
    },
  };
}
