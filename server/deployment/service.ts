/**
 * Deploy use case: snapshot a flow as the next version of a slug (behind the optional
 * evaluation gate), create keys, roll back, and describe deployments. Used by the HTTP
 * routes and by `braid deploy` (which runs without a server).
 */
import type { Flow } from '../../shared';
import { SAFE_ID } from '../../shared';
import { diffSnapshots, type DiffableSnapshot, type SnapshotDiff } from '../../shared/flow/diff';
import { summarizeSnapshotDiff } from '../../shared/flow/diff-text';
import type {
  ApiKeyInfo,
  DeploymentDetail,
  DeploymentDiff,
  DeploymentInfo,
  DeploymentSettings,
  DeployRequest,
  DeployResult,
} from '../../shared/api/deployment';
import { deploymentSettingsPatchSchema } from '../../shared/api/deployment';
import { formatPath } from '../../shared/flow/problems';
import { EvaluationStore } from '../evaluation/store';
import type { Storage } from '../storage/index';
import { snapshotFlowIds } from '../flows/snapshot';
import { closureOf } from '../runtime/closure';
import { chatShape } from './chat';
import { DeploymentError } from './errors';
import { checkGate } from './gate';
import { DeploymentStore, DeploymentStoreError, type DeploymentRecord } from './store';

/** A loaded flow (or a version's snapshot) with the flows it calls, as the diff engine reads it. */
function snapshotOf(flow: Flow): DiffableSnapshot {
  return { flow, flows: Object.fromEntries(closureOf(flow)) };
}

/** What changed from one snapshot to another (the deployed flow and every flow it calls). */
export function diffDeployed(before: Flow, after: Flow): SnapshotDiff {
  return diffSnapshots(snapshotOf(before), snapshotOf(after));
}

export function endpointUrl(baseUrl: string, slug: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/v1/endpoints/${slug}`;
}

/**
 * Check a settings patch against the API's schema (`deploymentSettingsPatchSchema`: unknown
 * settings and bad values are refused, origins lower-cased) for callers that did not parse
 * it already (the CLI); a 400 `invalid_settings` names every problem under `settings.`.
 */
export function checkSettings(patch: unknown): Partial<DeploymentSettings> {
  if (patch === undefined) return {};
  const r = deploymentSettingsPatchSchema.safeParse(patch);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: formatPath(['settings', ...i.path]), message: i.message }));
  throw new DeploymentError(400, 'invalid_settings', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
    issues,
  });
}

export class DeploymentService {
  readonly store: DeploymentStore;
  private readonly evaluations: EvaluationStore;

  constructor(
    storage: Storage,
    private readonly hooks: { onChange?(slug: string): void } = {},
  ) {
    this.store = new DeploymentStore(storage);
    this.evaluations = new EvaluationStore(storage);
  }

  /** Deploy a (valid, loaded) flow. */
  async deploy(flow: Flow, req: DeployRequest, baseUrl: string): Promise<DeployResult> {
    const slug = req.slug ?? flow.id;
    if (typeof slug !== 'string' || slug.length > 64 || !SAFE_ID.test(slug))
      throw new DeploymentError(400, 'invalid_slug', 'slug: must match [a-z0-9][a-z0-9_-]* (at most 64 characters)');
    if (req.note !== undefined && (typeof req.note !== 'string' || req.note.length > 2_000))
      throw new DeploymentError(400, 'invalid_note', 'note: must be a string of at most 2000 characters');
    const settings = checkSettings(req.settings);
    let evaluationId: string | undefined;
    if (req.gate !== undefined) {
      const g = req.gate as { evaluationId?: unknown; thresholds?: unknown };
      if (
        typeof g.evaluationId !== 'string' ||
        !Array.isArray(g.thresholds) ||
        g.thresholds.some((t) => typeof t !== 'string')
      ) {
        throw new DeploymentError(400, 'invalid_gate', 'gate: must be { evaluationId: string, thresholds: string[] }');
      }
      const e = await this.evaluations.get(g.evaluationId);
      if (!e) throw new DeploymentError(404, 'evaluation_not_found', `no evaluation "${g.evaluationId}"`);
      const problems = checkGate(e, await this.evaluations.flowSnapshot(e.id), flow, g.thresholds as string[]);
      if (problems.length > 0)
        throw new DeploymentError(
          409,
          'gate_failed',
          `deploy refused by the evaluation gate: ${problems.map((p) => p.message).join('; ')}`,
          { problems },
        );
      evaluationId = e.id;
    }
    let added;
    let changes: SnapshotDiff | null = null;
    try {
      added = await this.store.addVersion(slug, flow, {
        ...(req.note ? { note: req.note } : {}),
        ...(evaluationId ? { evaluationId } : {}),
        settings,
        // Compared inside the transaction: two identical deploys at once store one version.
        sameAs: (live) => {
          changes = diffDeployed(live.flow, flow);
          return changes.empty;
        },
      });
    } catch (err) {
      if (err instanceof DeploymentStoreError && err.code === 'slug_taken')
        throw new DeploymentError(409, 'slug_taken', err.message);
      throw err;
    }
    // An unchanged deploy stores no version, but what it asked for besides still happens.
    if (added.unchanged && Object.keys(settings).length > 0) await this.store.updateSettings(slug, settings);
    let apiKey: string | null = null;
    if (added.created || req.createKey) {
      const label =
        typeof req.keyLabel === 'string' && req.keyLabel.trim()
          ? req.keyLabel.trim()
          : added.created
            ? 'default'
            : `v${added.version}`;
      apiKey = (await this.store.createKey(slug, label)).apiKey;
    }
    if (!added.unchanged || apiKey || Object.keys(settings).length > 0) this.hooks.onChange?.(slug);
    return {
      slug,
      version: added.version,
      url: endpointUrl(baseUrl, slug),
      apiKey,
      flows: snapshotFlowIds(flow),
      unchanged: added.unchanged,
      previousVersion: added.previous?.version ?? null,
      changes: added.previous ? (changes ?? diffDeployed(added.previous.flow, flow)) : null,
    };
  }

  /** What changed from version `from` to version `to` of a deployment. */
  async diff(slug: string, from: number, to: number): Promise<DeploymentDiff> {
    await this.require(slug);
    const [a, b] = await Promise.all([this.store.version(slug, from), this.store.version(slug, to)]);
    const missing = !a ? from : !b ? to : null;
    if (!a || !b) throw new DeploymentError(404, 'not_found', `deployment "${slug}" has no version ${missing}`);
    const diff = diffDeployed(a.flow, b.flow);
    const info = ({ flow: _f, slug: _s, ...v }: typeof a) => v;
    return { slug, from: info(a), to: info(b), diff, summary: summarizeSnapshotDiff(diff) };
  }

  /** Set or clear a version's note. */
  async setNote(slug: string, version: number, note: unknown): Promise<void> {
    if (note !== null && (typeof note !== 'string' || note.length > 2_000))
      throw new DeploymentError(400, 'invalid_note', 'note: must be a string of at most 2000 characters, or null');
    await this.require(slug);
    const text = typeof note === 'string' && note.trim() ? note.trim() : null;
    if (!(await this.store.setNote(slug, version, text)))
      throw new DeploymentError(404, 'not_found', `deployment "${slug}" has no version ${version}`);
  }

  async rollback(slug: string, version: number): Promise<DeploymentRecord> {
    try {
      const d = await this.store.setLive(slug, version);
      this.hooks.onChange?.(slug);
      return d;
    } catch (err) {
      if (err instanceof DeploymentStoreError) throw new DeploymentError(404, 'not_found', err.message);
      throw err;
    }
  }

  async require(slug: string): Promise<DeploymentRecord> {
    const d = await this.store.get(slug);
    if (!d) throw new DeploymentError(404, 'not_found', `no deployment "${slug}"`);
    return d;
  }

  async info(d: DeploymentRecord, baseUrl: string): Promise<DeploymentInfo> {
    const live = await this.store.version(d.slug, d.liveVersion);
    return { ...d, url: endpointUrl(baseUrl, d.slug), chat: live ? chatShape(live.flow) !== undefined : false };
  }

  async detail(slug: string, baseUrl: string): Promise<DeploymentDetail> {
    const d = await this.require(slug);
    const versions = (await this.store.versions(slug)).map(({ flow: _f, slug: _s, ...v }) => v);
    return { ...(await this.info(d, baseUrl)), versions, keys: await this.store.keys(slug) };
  }

  async createKey(slug: string, label: string): Promise<{ key: ApiKeyInfo; apiKey: string }> {
    await this.require(slug);
    return this.store.createKey(slug, label || 'key');
  }

  async revokeKey(slug: string, id: string): Promise<ApiKeyInfo> {
    const k = await this.store.revokeKey(slug, id);
    if (!k) throw new DeploymentError(404, 'not_found', `deployment "${slug}" has no key "${id}"`);
    this.hooks.onChange?.(slug);
    const { hash: _h, slug: _s, ...info } = k;
    return info;
  }

  async updateSettings(slug: string, patch: unknown): Promise<DeploymentRecord> {
    await this.require(slug);
    const d = await this.store.updateSettings(slug, checkSettings(patch));
    this.hooks.onChange?.(slug);
    return d;
  }

  async remove(slug: string): Promise<void> {
    if (!(await this.store.remove(slug))) throw new DeploymentError(404, 'not_found', `no deployment "${slug}"`);
    this.hooks.onChange?.(slug);
  }
}
