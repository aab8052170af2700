import { describe, it, expect } from 'vitest';
import { FlowMigrationError, MIGRATIONS, migrateFlow, migrateFlowWith, type Migration } from './migrate';
import { CURRENT_SCHEMA_VERSION } from './schema';
import { validateFlow } from './validate';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FlowMigrationError);
    return (err as FlowMigrationError).code;
  }
  throw new Error('expected a FlowMigrationError');
}

describe('migrateFlow', () => {
  it('has a migration for every version below the current one', () => {
    for (let v = 1; v < CURRENT_SCHEMA_VERSION; v++) expect(typeof MIGRATIONS[v]).toBe('function');
  });

  it('passes a current-version flow through untouched', () => {
    const flow = { schemaVersion: CURRENT_SCHEMA_VERSION, id: 'x' };
    const res = migrateFlow(flow);
    expect(res).toEqual({ flow, fromVersion: CURRENT_SCHEMA_VERSION, migrated: false });
    expect(res.flow).toBe(flow);
  });

  it('refuses what it cannot migrate, with a clear error', () => {
    expect(codeOf(() => migrateFlow([]))).toBe('not_object');
    expect(codeOf(() => migrateFlow(null))).toBe('not_object');
    expect(codeOf(() => migrateFlow({ id: 'x' }))).toBe('missing_version');
    expect(codeOf(() => migrateFlow({ schemaVersion: '1' }))).toBe('invalid_version');
    expect(codeOf(() => migrateFlow({ schemaVersion: 0 }))).toBe('invalid_version');
    expect(codeOf(() => migrateFlow({ schemaVersion: 1.5 }))).toBe('invalid_version');
    expect(codeOf(() => migrateFlow({ schemaVersion: CURRENT_SCHEMA_VERSION + 1 }))).toBe('future_version');
    expect(() => migrateFlow({ schemaVersion: 7 })).toThrow(/schemaVersion 7, newer than this Braid understands/);
  });

  // The hook, exercised with a registry for two future versions.
  const renameTitleToName: Migration = (flow) => {
    const { title, ...rest } = flow;
    return { ...rest, name: title };
  };
  const addTags: Migration = (flow) => ({ ...flow, tags: [] });

  it('runs each step in order, stamps the version and leaves the input alone', () => {
    const input = { schemaVersion: 1, id: 'x', title: 'Old' };
    const res = migrateFlowWith(input, { 1: renameTitleToName, 2: addTags }, 3);
    expect(res).toEqual({ flow: { schemaVersion: 3, id: 'x', name: 'Old', tags: [] }, fromVersion: 1, migrated: true });
    expect(input).toEqual({ schemaVersion: 1, id: 'x', title: 'Old' });
    expect(migrateFlowWith({ schemaVersion: 2, id: 'y' }, { 1: renameTitleToName, 2: addTags }, 3).flow).toEqual({
      schemaVersion: 3,
      id: 'y',
      tags: [],
    });
  });

  it('reports a missing step or a failing migration, never swallowing it', () => {
    expect(codeOf(() => migrateFlowWith({ schemaVersion: 1 }, { 2: addTags }, 3))).toBe('migration_failed');
    const boom: Migration = () => {
      throw new Error('nodes[0] has no type');
    };
    try {
      migrateFlowWith({ schemaVersion: 1 }, { 1: boom }, 2);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FlowMigrationError);
      expect((err as FlowMigrationError).code).toBe('migration_failed');
      expect((err as FlowMigrationError).fromVersion).toBe(1);
      expect((err as Error).message).toMatch(/from schemaVersion 1 to 2 failed: nodes\[0\] has no type/);
      expect((err as Error).cause).toBeInstanceOf(Error);
    }
    const bad = (() => null) as unknown as Migration;
    expect(codeOf(() => migrateFlowWith({ schemaVersion: 1 }, { 1: bad }, 2))).toBe('migration_failed');
  });

  it('does not take inherited properties for migrations', () => {
    const registry = Object.create({ 1: addTags }) as Record<number, Migration>;
    expect(codeOf(() => migrateFlowWith({ schemaVersion: 1 }, registry, 2))).toBe('migration_failed');
  });

  it('makes validateFlow report version problems as schema_version', () => {
    const res = validateFlow({ schemaVersion: 3, id: 'x', name: 'X', nodes: [], edges: [] });
    expect(res.ok).toBe(false);
    expect(res.problems).toEqual([
      expect.objectContaining({ code: 'schema_version', path: 'schemaVersion', severity: 'error' }),
    ]);
  });
});
