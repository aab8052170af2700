/**
 * Flow file migrations. Every flow file carries `schemaVersion`; a file written by an
 * older Braid is upgraded step by step (v1 → v2 → …) before it is validated. A missing,
 * unknown or future version, or a migration that throws, is an error with a clear
 * message: nothing is silently dropped or guessed.
 *
 * Adding version N+1: bump `CURRENT_SCHEMA_VERSION` in schema.ts, change the schema, and
 * add one entry `N: (flow) => …` to `MIGRATIONS` that turns a vN object into a vN+1 one.
 */
import { CURRENT_SCHEMA_VERSION } from './schema';

/** A plain JSON object (what a parsed flow file is before validation). */
export type JsonObject = Record<string, unknown>;

/** Turns a flow of version N (its key in the registry) into version N+1. It may mutate its argument. */
export type Migration = (flow: JsonObject) => JsonObject;

/**
 * The registry: key N migrates vN → vN+1. Empty while v1 is the only version.
 * Example for a future v2: `1: (flow) => ({ ...flow, schemaVersion: 2, nodes: … })`.
 */
export const MIGRATIONS: Readonly<Record<number, Migration>> = Object.freeze({});

export type FlowMigrationErrorCode =
  'not_object' | 'missing_version' | 'invalid_version' | 'future_version' | 'migration_failed';

export class FlowMigrationError extends Error {
  readonly code: FlowMigrationErrorCode;
  /** The version the file declared, when it declared a usable one. */
  readonly fromVersion?: number;
  constructor(code: FlowMigrationErrorCode, message: string, fromVersion?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FlowMigrationError';
    this.code = code;
    this.fromVersion = fromVersion;
  }
}

export interface MigrationResult {
  /** The flow at the current schema version (a fresh copy when migrated, else the input). */
  flow: unknown;
  /** The version the file was written with. */
  fromVersion: number;
  migrated: boolean;
}

/** Bring a parsed flow file to `CURRENT_SCHEMA_VERSION`. Throws `FlowMigrationError`. */
export function migrateFlow(raw: unknown): MigrationResult {
  return migrateFlowWith(raw, MIGRATIONS, CURRENT_SCHEMA_VERSION);
}

/** `migrateFlow` over an explicit registry and target version (used by tests and tools). */
export function migrateFlowWith(
  raw: unknown,
  migrations: Readonly<Record<number, Migration>>,
  current: number,
): MigrationResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new FlowMigrationError('not_object', `a flow file must be a JSON object, got ${describe(raw)}`);
  }
  const obj = raw as JsonObject;
  if (!Object.prototype.hasOwnProperty.call(obj, 'schemaVersion') || obj.schemaVersion === undefined) {
    throw new FlowMigrationError(
      'missing_version',
      `the flow has no "schemaVersion"; add "schemaVersion": ${current} (the current version)`,
    );
  }
  const version = obj.schemaVersion;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new FlowMigrationError(
      'invalid_version',
      `"schemaVersion" must be a positive integer (the current version is ${current}), got ${describe(version)}`,
    );
  }
  if (version > current) {
    throw new FlowMigrationError(
      'future_version',
      `the flow was written for schemaVersion ${version}, newer than this Braid understands (${current}); upgrade Braid`,
      version,
    );
  }
  if (version === current) return { flow: raw, fromVersion: version, migrated: false };

  let flow: JsonObject = structuredClone(obj);
  for (let v = version; v < current; v++) {
    const step = Object.prototype.hasOwnProperty.call(migrations, v) ? migrations[v] : undefined;
    if (!step) {
      throw new FlowMigrationError('migration_failed', `no migration from schemaVersion ${v} to ${v + 1}`, version);
    }
    try {
      flow = step(flow);
    } catch (err) {
      throw new FlowMigrationError(
        'migration_failed',
        `migrating the flow from schemaVersion ${v} to ${v + 1} failed: ${(err as Error)?.message ?? String(err)}`,
        version,
        { cause: err },
      );
    }
    if (flow === null || typeof flow !== 'object' || Array.isArray(flow)) {
      throw new FlowMigrationError(
        'migration_failed',
        `the migration from schemaVersion ${v} returned ${describe(flow)}`,
        version,
      );
    }
    flow.schemaVersion = v + 1;
  }
  return { flow, fromVersion: version, migrated: true };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}
