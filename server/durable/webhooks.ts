/**
 * Completion webhooks of deployed runs that paused: when such a run ends (its call answered
 * 202 with a status URL), its outcome is POSTed to the URL the caller gave, signed with the
 * deployment's secret. Deliveries are rows in the database (queued by DurableStore.finishRun
 * in the run's own transaction), so one due when a process stops is made by the next one;
 * each attempt is claimed with one conditional UPDATE, so two processes never post the same
 * attempt. Failed attempts are retried with exponential backoff, then given up.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { Flow } from '../../shared';
import { publicRunFailure } from '../deployment/public-errors';
import { DeploymentStore } from '../deployment/store';
import { guardedFetch, type Resolver } from '../net/guarded-fetch';
import { NodeError } from '../runtime/types';
import type { Storage } from '../storage/index';
import type { DurableRun, DurableStore, WebhookDeliveriesTable } from './store';

const SIGNATURE_HEADER = 'X-Braid-Signature';
/** Attempts before a delivery is given up (the first one included). */
const MAX_ATTEMPTS = 8;
/** How long one process holds an attempt before another may make it (it died meanwhile). */
const ATTEMPT_LEASE_MS = 60_000;
const MAX_BACKOFF_MS = 3_600_000;

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** What the status URL shows of a run's webhook. */
export interface WebhookDeliveryView {
  url: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatus?: number;
  lastError?: string;
  nextAttemptAt?: number;
  deliveredAt?: number;
}

/** A deployed run as its caller sees it: the status URL's body, and the webhook's. */
export interface PublicRunState {
  runId: string;
  status: DurableRun['status'];
  version: number;
  statusUrl: string;
  createdAt: number;
  updatedAt: number;
  outputs?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export function publicRunState(run: DurableRun, statusUrl: string): PublicRunState {
  const body: PublicRunState = {
    runId: run.id,
    status: run.status,
    version: run.deployment?.version ?? 0,
    statusUrl,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  };
  if (run.status === 'succeeded') body.outputs = run.outputs ?? {};
  if (run.status === 'failed' || run.status === 'cancelled')
    body.error = {
      code: run.status === 'cancelled' ? 'cancelled' : 'run_failed',
      // Braid's words only: the node's own message stays in the trace.
      message: publicRunFailure(run.error, run.status, run.snapshot.flow as Pick<Flow, 'nodes'>),
    };
  return body;
}

/** `sha256=<hex>` of the body under the secret: the X-Braid-Signature header. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** Check a signature header against the raw body in constant time (receivers do this; so do the tests). */
export function verifySignature(secret: string, body: string, header: string | undefined): boolean {
  if (!header) return false;
  const want = Buffer.from(signBody(secret, body));
  const got = Buffer.from(header.trim());
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface RunWebhooksDeps {
  storage: Storage;
  store: DurableStore;
  /** Hosts the webhook may reach although they resolve to private addresses (BRAID_HTTP_ALLOW_HOSTS). */
  allowHosts: readonly string[];
  /** First retry delay; doubles each attempt (default 5 s, capped at 1 h). */
  retryMs?: number;
  logger?: Logger;
  resolver?: Resolver;
}

export class RunWebhooks {
  private readonly retryMs: number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  /** Where each deployment's signing secret is kept. */
  private readonly deployments: DeploymentStore;

  constructor(private readonly deps: RunWebhooksDeps) {
    this.retryMs = deps.retryMs ?? 5_000;
    this.deployments = new DeploymentStore(deps.storage);
  }

  async view(runId: string): Promise<WebhookDeliveryView | undefined> {
    const row = await this.deps.store.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', runId)
      .executeTakeFirst();
    return row ? toView(row) : undefined;
  }

  /** Make every due delivery now (the sweeper; also right after a run ends). */
  async sweep(now = Date.now()): Promise<void> {
    if (this.closed) return;
    const due = await this.deps.store.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .orderBy('next_attempt_at')
      .limit(100)
      .execute();
    await Promise.all(due.map((d) => this.attempt(d.id)));
  }

  /** Stop retry timers and wait for attempts in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  /** One attempt of a delivery, if it is due and no other process took it. */
  attempt(id: string): Promise<void> {
    const p = this.attemptOnce(id)
      .catch((err: unknown) => this.deps.logger?.warn({ err: msg(err), runId: id }, 'run webhook attempt failed'))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    return p;
  }

  private async attemptOnce(id: string): Promise<void> {
    const { store, logger } = this.deps;
    const now = Date.now();
    const row = await store.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row || row.status !== 'pending' || Number(row.next_attempt_at) > now) return;
    // Claim the attempt: whoever moves next_attempt_at from the value read makes it.
    const claimed = await store.db
      .updateTable('webhook_deliveries')
      .set({ attempts: Number(row.attempts) + 1, next_attempt_at: now + ATTEMPT_LEASE_MS, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where('next_attempt_at', '=', Number(row.next_attempt_at))
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return;
    const attempts = Number(row.attempts) + 1;

    const run = await store.getRun(id);
    const secret = await this.deployments.webhookSecret(row.slug);
    if (!run || !secret) {
      await this.settle(id, 'failed', { error: run ? 'the deployment was deleted' : 'the run was deleted' });
      return;
    }
    const body = JSON.stringify({
      ...publicRunState(run, run.deployment?.statusUrl ?? ''),
      slug: row.slug,
      event: 'run.finished',
    });
    let status: number | undefined;
    let error: string | undefined;
    let permanent = false;
    try {
      const res = await guardedFetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'braid-webhooks',
          [SIGNATURE_HEADER.toLowerCase()]: signBody(secret, body),
          'x-braid-delivery': id,
          'x-braid-attempt': String(attempts),
        },
        body,
        allowHosts: this.deps.allowHosts,
        timeoutMs: 10_000,
        maxBytes: 64 * 1024,
        maxRedirects: 0,
        ...(this.deps.resolver ? { resolver: this.deps.resolver } : {}),
      });
      status = res.status;
      if (res.status >= 200 && res.status < 300) {
        await this.settle(id, 'delivered', { status });
        return;
      }
      error = `the webhook answered HTTP ${res.status}`;
    } catch (err) {
      error = msg(err).slice(0, 500);
      // Refused by the network policy: retrying cannot help.
      permanent = err instanceof NodeError && err.code === 'ssrf_blocked';
    }
    if (permanent || attempts >= MAX_ATTEMPTS) {
      logger?.warn({ runId: id, attempts, error }, 'run webhook given up');
      await this.settle(id, 'failed', { ...(status !== undefined ? { status } : {}), error: error ?? 'failed' });
      return;
    }
    const delay = Math.min(MAX_BACKOFF_MS, this.retryMs * 2 ** (attempts - 1));
    await store.db
      .updateTable('webhook_deliveries')
      .set({
        next_attempt_at: Date.now() + delay,
        last_status: status ?? null,
        last_error: error ?? null,
        updated_at: Date.now(),
      })
      .where('id', '=', id)
      .execute();
    // This process retries on time; the sweeper of any process covers a restart.
    if (!this.closed) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.attempt(id);
      }, delay + 5);
      t.unref();
      this.timers.add(t);
    }
  }

  private async settle(id: string, status: DeliveryStatus, r: { status?: number; error?: string }): Promise<void> {
    const now = Date.now();
    await this.deps.store.db
      .updateTable('webhook_deliveries')
      .set({
        status,
        last_status: r.status ?? null,
        last_error: r.error ?? null,
        updated_at: now,
        ...(status === 'delivered' ? { delivered_at: now } : {}),
      })
      .where('id', '=', id)
      .execute();
  }
}

function toView(row: WebhookDeliveriesTable): WebhookDeliveryView {
  const v: WebhookDeliveryView = {
    url: row.url,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
  };
  if (row.last_status !== null) v.lastStatus = Number(row.last_status);
  if (row.last_error !== null) v.lastError = row.last_error;
  if (row.status === 'pending') v.nextAttemptAt = Number(row.next_attempt_at);
  if (row.delivered_at !== null) v.deliveredAt = Number(row.delivered_at);
  return v;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
