/**
 * Persistence of deployments, their immutable versions and their API keys. Versions are
 * only ever inserted; rollback moves `live_version`.
 */
import type { Selectable } from 'kysely';
import { closureJson, fromSnapshot, snapshotFlowIds } from '../flows/snapshot';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Flow } from '../../shared';
import {
  DEFAULT_DEPLOYMENT_SETTINGS,
  type ApiKeyInfo,
  type DeploymentSettings,
  type DeploymentVersionInfo,
} from '../../shared/api/deployment';
import { fromJson, type Storage } from '../storage/index';
import { generateApiKey, hashApiKey, keyPrefix } from './keys';
import {
  deployDb,
  type DeployDb,
  type DeploymentKeysTable,
  type DeploymentsTable,
  type DeploymentVersionsTable,
} from './tables';

export interface DeploymentRecord {
  slug: string;
  flowId: string;
  liveVersion: number;
  latestVersion: number;
  settings: DeploymentSettings;
  createdAt: number;
  updatedAt: number;
}

export interface VersionRecord extends DeploymentVersionInfo {
  slug: string;
  flow: Flow;
}

export interface KeyRecord extends ApiKeyInfo {
  slug: string;
  hash: string;
}

/** Merge partial settings over a base, keeping nested objects whole. */
export function mergeSettings(
  base: DeploymentSettings,
  patch: Partial<DeploymentSettings> | undefined,
): DeploymentSettings {
  if (!patch) return base;
  return {
    ...base,
    ...patch,
    rateLimit: { ...base.rateLimit, ...(patch.rateLimit ?? {}) },
    history: { ...base.history, ...(patch.history ?? {}) },
  };
}

function toDeployment(r: Selectable<DeploymentsTable>): DeploymentRecord {
  return {
    slug: r.slug,
    flowId: r.flow_id,
    liveVersion: Number(r.live_version),
    latestVersion: Number(r.latest_version),
    settings: mergeSettings(DEFAULT_DEPLOYMENT_SETTINGS, fromJson<Partial<DeploymentSettings>>(r.settings, {})),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function toVersion(r: DeploymentVersionsTable): VersionRecord {
  const flow = fromSnapshot(r.flow_snapshot, r.flows_snapshot);
  return {
    slug: r.slug,
    version: Number(r.version),
    flowId: r.flow_id,
    createdAt: Number(r.created_at),
    note: r.note,
    evaluationId: r.evaluation_id,
    inputs: flow.inputs ?? [],
    outputs: flow.outputs ?? [],
    flows: snapshotFlowIds(flow),
    flow,
  };
}

function toKey(r: DeploymentKeysTable): KeyRecord {
  return {
    id: r.id,
    slug: r.slug,
    label: r.label,
    prefix: r.prefix,
    hash: r.hash,
    createdAt: Number(r.created_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('hex')}`;
}

export class DeploymentStore {
  readonly db: DeployDb;
  constructor(storage: Storage) {
    this.db = deployDb(storage);
  }

  /**
   * The deployment's webhook signing secret, made on first use (undefined: no such
   * deployment). Two processes making it at once: the conditional UPDATE keeps the first.
   */
  async webhookSecret(slug: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('deployments')
      .select('webhook_secret')
      .where('slug', '=', slug)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.webhook_secret) return row.webhook_secret;
    await this.db
      .updateTable('deployments')
      .set({ webhook_secret: newWebhookSecret() })
      .where('slug', '=', slug)
      .where('webhook_secret', 'is', null)
      .execute();
    return this.webhookSecret(slug);
  }

  /** Replace the signing secret (deliveries from now on are signed with the new one). */
  async rotateWebhookSecret(slug: string): Promise<string | undefined> {
    const secret = newWebhookSecret();
    const res = await this.db
      .updateTable('deployments')
      .set({ webhook_secret: secret })
      .where('slug', '=', slug)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) > 0 ? secret : undefined;
  }

  async get(slug: string): Promise<DeploymentRecord | undefined> {
    const r = await this.db.selectFrom('deployments').selectAll().where('slug', '=', slug).executeTakeFirst();
    return r ? toDeployment(r) : undefined;
  }

  async list(opts: { flowId?: string } = {}): Promise<DeploymentRecord[]> {
    let q = this.db.selectFrom('deployments').selectAll();
    if (opts.flowId) q = q.where('flow_id', '=', opts.flowId);
    return (await q.orderBy('updated_at', 'desc').limit(1000).execute()).map(toDeployment);
  }

  /**
   * Store `flow` as the next version of `slug` (creating the deployment at version 1)
   * and make it live. Runs in a transaction so two concurrent deploys get N+1 and N+2.
   */
  async addVersion(
    slug: string,
    flow: Flow,
    opts: {
      note?: string;
      evaluationId?: string;
      settings?: Partial<DeploymentSettings>;
      /** Store nothing when this says the live version already is `flow` (returns `unchanged`). */
      sameAs?: (live: VersionRecord) => boolean;
    },
  ): Promise<{
    deployment: DeploymentRecord;
    version: number;
    created: boolean;
    /** True when nothing was stored: `version` is the live version, which equals `flow`. */
    unchanged: boolean;
    /** The version that was live before (undefined on the first deploy). */
    previous?: VersionRecord;
  }> {
    return this.db.transaction().execute(async (trx) => {
      const now = Date.now();
      const existing = await trx.selectFrom('deployments').selectAll().where('slug', '=', slug).executeTakeFirst();
      if (existing && existing.flow_id !== flow.id)
        throw new DeploymentStoreError('slug_taken', `slug "${slug}" already serves flow "${existing.flow_id}"`);
      const liveRow = existing
        ? await trx
            .selectFrom('deployment_versions')
            .selectAll()
            .where('slug', '=', slug)
            .where('version', '=', Number(existing.live_version))
            .executeTakeFirst()
        : undefined;
      const previous = liveRow ? toVersion(liveRow) : undefined;
      if (existing && previous && opts.sameAs?.(previous))
        return {
          deployment: toDeployment(existing),
          version: previous.version,
          created: false,
          unchanged: true,
          previous,
        };
      const version = existing ? Number(existing.latest_version) + 1 : 1;
      await trx
        .insertInto('deployment_versions')
        .values({
          slug,
          version,
          flow_id: flow.id,
          flow_snapshot: JSON.stringify(flow),
          flows_snapshot: closureJson(flow),
          note: opts.note ?? null,
          evaluation_id: opts.evaluationId ?? null,
          created_at: now,
        })
        .execute();
      const settings = mergeSettings(
        existing ? toDeployment(existing).settings : DEFAULT_DEPLOYMENT_SETTINGS,
        opts.settings,
      );
      if (existing) {
        await trx
          .updateTable('deployments')
          .set({ live_version: version, latest_version: version, settings: JSON.stringify(settings), updated_at: now })
          .where('slug', '=', slug)
          .execute();
      } else {
        await trx
          .insertInto('deployments')
          .values({
            slug,
            flow_id: flow.id,
            live_version: version,
            latest_version: version,
            settings: JSON.stringify(settings),
            created_at: now,
            updated_at: now,
          })
          .execute();
      }
      const row = await trx.selectFrom('deployments').selectAll().where('slug', '=', slug).executeTakeFirstOrThrow();
      return {
        deployment: toDeployment(row),
        version,
        created: !existing,
        unchanged: false,
        ...(previous ? { previous } : {}),
      };
    });
  }

  async versions(slug: string): Promise<VersionRecord[]> {
    const rows = await this.db
      .selectFrom('deployment_versions')
      .selectAll()
      .where('slug', '=', slug)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(toVersion);
  }

  async version(slug: string, version: number): Promise<VersionRecord | undefined> {
    const r = await this.db
      .selectFrom('deployment_versions')
      .selectAll()
      .where('slug', '=', slug)
      .where('version', '=', version)
      .executeTakeFirst();
    return r ? toVersion(r) : undefined;
  }

  /** Set (or with null, clear) a version's note; false when there is no such version. */
  async setNote(slug: string, version: number, note: string | null): Promise<boolean> {
    const r = await this.db
      .updateTable('deployment_versions')
      .set({ note })
      .where('slug', '=', slug)
      .where('version', '=', version)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Make an existing version live (rollback, or forward again). */
  async setLive(slug: string, version: number): Promise<DeploymentRecord> {
    const v = await this.version(slug, version);
    if (!v) throw new DeploymentStoreError('not_found', `deployment "${slug}" has no version ${version}`);
    await this.db
      .updateTable('deployments')
      .set({ live_version: version, updated_at: Date.now() })
      .where('slug', '=', slug)
      .execute();
    return (await this.get(slug)) as DeploymentRecord;
  }

  async updateSettings(slug: string, patch: Partial<DeploymentSettings>): Promise<DeploymentRecord> {
    const d = await this.get(slug);
    if (!d) throw new DeploymentStoreError('not_found', `no deployment "${slug}"`);
    const settings = mergeSettings(d.settings, patch);
    await this.db
      .updateTable('deployments')
      .set({ settings: JSON.stringify(settings), updated_at: Date.now() })
      .where('slug', '=', slug)
      .execute();
    return { ...d, settings };
  }

  /** Delete a deployment with its versions, keys and conversations (logs stay until retention removes them). */
  async remove(slug: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('conversations').where('scope', '=', slug).execute();
      await trx.deleteFrom('deployment_keys').where('slug', '=', slug).execute();
      await trx.deleteFrom('deployment_versions').where('slug', '=', slug).execute();
      const r = await trx.deleteFrom('deployments').where('slug', '=', slug).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  // ── keys ────────────────────────────────────────────────────────────────

  /** Create a key; the clear text is returned once and never stored. */
  async createKey(slug: string, label: string): Promise<{ key: ApiKeyInfo; apiKey: string }> {
    const apiKey = generateApiKey();
    const row: DeploymentKeysTable = {
      id: randomUUID(),
      slug,
      label: label.slice(0, 200),
      hash: hashApiKey(apiKey),
      prefix: keyPrefix(apiKey),
      created_at: Date.now(),
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.insertInto('deployment_keys').values(row).execute();
    const { hash: _hash, slug: _slug, ...info } = toKey(row);
    return { key: info, apiKey };
  }

  async keys(slug: string): Promise<ApiKeyInfo[]> {
    const rows = await this.db
      .selectFrom('deployment_keys')
      .selectAll()
      .where('slug', '=', slug)
      .orderBy('created_at', 'asc')
      .execute();
    return rows.map((r) => {
      const { hash: _hash, slug: _slug, ...info } = toKey(r);
      return info;
    });
  }

  async keyByHash(hash: string): Promise<KeyRecord | undefined> {
    const r = await this.db.selectFrom('deployment_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return r ? toKey(r) : undefined;
  }

  async labelKey(slug: string, id: string, label: string): Promise<boolean> {
    const r = await this.db
      .updateTable('deployment_keys')
      .set({ label: label.slice(0, 200) })
      .where('slug', '=', slug)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Revoke a key; the conversations it owns are deleted (no one can reach them any more). */
  async revokeKey(slug: string, id: string): Promise<KeyRecord | undefined> {
    await this.db
      .updateTable('deployment_keys')
      .set({ revoked_at: Date.now() })
      .where('slug', '=', slug)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    await this.db.deleteFrom('conversations').where('scope', '=', slug).where('key_id', '=', id).execute();
    const r = await this.db
      .selectFrom('deployment_keys')
      .selectAll()
      .where('slug', '=', slug)
      .where('id', '=', id)
      .executeTakeFirst();
    return r ? toKey(r) : undefined;
  }

  async touchKeys(ids: Iterable<string>, at: number): Promise<void> {
    const list = [...ids];
    if (list.length === 0) return;
    await this.db.updateTable('deployment_keys').set({ last_used_at: at }).where('id', 'in', list).execute();
  }
}

export class DeploymentStoreError extends Error {
  constructor(
    readonly code: 'not_found' | 'slug_taken',
    message: string,
  ) {
    super(message);
    this.name = 'DeploymentStoreError';
  }
}
