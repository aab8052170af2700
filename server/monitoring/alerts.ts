/**
 * Alert rules on deployed endpoints, evaluated over a sliding window of the request log:
 * server error rate (5xx), client error rate (4xx), p95 latency, cost per hour, negative-feedback rate and prompt-injection
 * detections. A rule that crosses its threshold records an event (listed in the UI) and,
 * when it has a webhook, POSTs it there through the SSRF guard. A cooldown per rule and
 * deployment stops repeats. Evaluation runs on an interval and shortly after a failed or
 * flagged call.
 */
import { randomUUID } from 'node:crypto';
import { ALERT_KINDS, type AlertEvent, type AlertKind, type AlertRule } from '../../shared/api/deployment';
import { guardedFetch } from '../net/guarded-fetch';
import type { Storage } from '../storage/index';
import { deployDb, type AlertEventsTable, type AlertRulesTable, type DeployDb } from '../deployment/tables';
import { computeStats, type StatRow } from './stats';

export { ALERT_KINDS };

export interface AlertRuleInput {
  slug?: string | null;
  kind: AlertKind;
  threshold: number;
  windowMs?: number;
  minSamples?: number;
  webhookUrl?: string | null;
  cooldownMs?: number;
  enabled?: boolean;
}

export interface AlertDeps {
  storage: Storage;
  /** Rows of a deployment's request log in [from, to). */
  window(slug: string, from: number, to: number): Promise<StatRow[]>;
  /** Every deployment slug (for rules without one). */
  slugs(): Promise<string[]>;
  /** Hosts webhooks may reach although they resolve to private addresses. */
  allowHosts: readonly string[];
  onError?(err: unknown): void;
}

function toRule(r: AlertRulesTable): AlertRule {
  return {
    id: r.id,
    slug: r.slug,
    kind: r.kind as AlertKind,
    threshold: Number(r.threshold),
    windowMs: Number(r.window_ms),
    minSamples: Number(r.min_samples),
    webhookUrl: r.webhook_url,
    cooldownMs: Number(r.cooldown_ms),
    enabled: Number(r.enabled) === 1,
    createdAt: Number(r.created_at),
  };
}

function toEvent(r: AlertEventsTable): AlertEvent {
  return {
    id: r.id,
    ruleId: r.rule_id,
    slug: r.slug,
    kind: r.kind as AlertKind,
    value: Number(r.value),
    threshold: Number(r.threshold),
    message: r.message,
    createdAt: Number(r.created_at),
    delivery: r.delivery,
    deliveryError: r.delivery_error,
  };
}

export class AlertRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlertRuleError';
  }
}

/** Check and complete a rule definition. */
export function normaliseRule(input: AlertRuleInput): Omit<AlertRule, 'id' | 'createdAt'> {
  if (!(ALERT_KINDS as readonly string[]).includes(input.kind))
    throw new AlertRuleError(`kind: must be one of ${ALERT_KINDS.join(', ')}`);
  if (typeof input.threshold !== 'number' || !Number.isFinite(input.threshold) || input.threshold < 0)
    throw new AlertRuleError('threshold: must be a number >= 0');
  const windowMs = input.windowMs ?? 5 * 60_000;
  if (!Number.isInteger(windowMs) || windowMs < 1_000 || windowMs > 7 * 86_400_000)
    throw new AlertRuleError('windowMs: must be an integer between 1000 and 604800000');
  const minSamples = input.minSamples ?? (input.kind === 'prompt_injection' || input.kind === 'cost_per_hour' ? 1 : 10);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new AlertRuleError('minSamples: must be an integer >= 1');
  const cooldownMs = input.cooldownMs ?? 15 * 60_000;
  if (!Number.isInteger(cooldownMs) || cooldownMs < 0) throw new AlertRuleError('cooldownMs: must be an integer >= 0');
  let webhookUrl: string | null = null;
  if (input.webhookUrl) {
    let u: URL;
    try {
      u = new URL(input.webhookUrl);
    } catch {
      throw new AlertRuleError('webhookUrl: not a URL');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new AlertRuleError('webhookUrl: must be http or https');
    webhookUrl = u.toString();
  }
  return {
    slug: input.slug ?? null,
    kind: input.kind,
    threshold: input.threshold,
    windowMs,
    minSamples,
    webhookUrl,
    cooldownMs,
    enabled: input.enabled ?? true,
  };
}

const DESCRIBE: Record<AlertKind, (v: number) => string> = {
  error_rate: (v) => `server error rate ${(v * 100).toFixed(1)}%`,
  client_error_rate: (v) => `client error rate (4xx) ${(v * 100).toFixed(1)}%`,
  p95_latency_ms: (v) => `p95 latency ${Math.round(v)} ms`,
  cost_per_hour: (v) => `cost $${v.toFixed(4)}/hour`,
  negative_feedback_rate: (v) => `negative feedback ${(v * 100).toFixed(1)}%`,
  prompt_injection: (v) => `${v} prompt-injection detection(s)`,
};

/** The measured value of a rule over rows of its window, or undefined with too few samples. */
export function measure(
  rule: Pick<AlertRule, 'kind' | 'minSamples' | 'windowMs'>,
  slug: string,
  rows: StatRow[],
  from: number,
  to: number,
): number | undefined {
  const t = computeStats(slug, rows, from, to, Math.max(1, to - from)).totals;
  switch (rule.kind) {
    case 'error_rate':
      return t.requests >= rule.minSamples ? t.errorRate : undefined;
    case 'client_error_rate':
      return t.requests >= rule.minSamples ? t.clientErrorRate : undefined;
    case 'p95_latency_ms':
      return t.requests >= rule.minSamples && t.p95 !== null ? t.p95 : undefined;
    case 'cost_per_hour':
      return t.requests >= rule.minSamples ? (t.cost * 3_600_000) / rule.windowMs : undefined;
    case 'negative_feedback_rate':
      return t.feedback >= rule.minSamples ? t.negativeFeedback / t.feedback : undefined;
    case 'prompt_injection':
      return t.promptInjections >= rule.minSamples ? t.promptInjections : undefined;
  }
}

export class AlertEngine {
  private readonly db: DeployDb;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private running: Promise<AlertEvent[]> | undefined;

  constructor(private readonly deps: AlertDeps) {
    this.db = deployDb(deps.storage);
  }

  start(intervalMs = 15_000): void {
    this.timer ??= setInterval(() => void this.evaluateSafe(), intervalMs);
    this.timer.unref();
  }

  /** Evaluate within `delayMs` (debounced): called after a failed or flagged call. */
  nudge(delayMs = 1_000): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.evaluateSafe();
    }, delayMs);
    this.soon.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.timer = undefined;
    this.soon = undefined;
    await this.running?.catch(() => undefined);
  }

  async createRule(input: AlertRuleInput): Promise<AlertRule> {
    const r = normaliseRule(input);
    const row: AlertRulesTable = {
      id: randomUUID(),
      slug: r.slug,
      kind: r.kind,
      threshold: r.threshold,
      window_ms: r.windowMs,
      min_samples: r.minSamples,
      webhook_url: r.webhookUrl,
      cooldown_ms: r.cooldownMs,
      enabled: r.enabled ? 1 : 0,
      created_at: Date.now(),
    };
    await this.db.insertInto('alert_rules').values(row).execute();
    return toRule(row);
  }

  async rules(opts: { slug?: string } = {}): Promise<AlertRule[]> {
    let q = this.db.selectFrom('alert_rules').selectAll();
    if (opts.slug) q = q.where((eb) => eb.or([eb('slug', '=', opts.slug as string), eb('slug', 'is', null)]));
    return (await q.orderBy('created_at', 'asc').execute()).map(toRule);
  }

  async deleteRule(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async setEnabled(id: string, enabled: boolean): Promise<boolean> {
    const r = await this.db
      .updateTable('alert_rules')
      .set({ enabled: enabled ? 1 : 0 })
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async events(opts: { slug?: string; limit?: number } = {}): Promise<AlertEvent[]> {
    let q = this.db.selectFrom('alert_events').selectAll();
    if (opts.slug) q = q.where('slug', '=', opts.slug);
    const rows = await q
      .orderBy('created_at', 'desc')
      .limit(Math.min(500, opts.limit ?? 100))
      .execute();
    return rows.map(toEvent);
  }

  private async evaluateSafe(): Promise<void> {
    try {
      await this.evaluate();
    } catch (err) {
      this.deps.onError?.(err);
    }
  }

  /** Evaluate every enabled rule now; returns the events it fired. One evaluation at a time. */
  evaluate(now = Date.now()): Promise<AlertEvent[]> {
    const run = (this.running ?? Promise.resolve([])).catch(() => []).then(() => this.evaluateOnce(now));
    this.running = run;
    return run;
  }

  private async evaluateOnce(now: number): Promise<AlertEvent[]> {
    const rules = (await this.rules()).filter((r) => r.enabled);
    if (rules.length === 0) return [];
    const all = rules.some((r) => r.slug === null) ? await this.deps.slugs() : [];
    const fired: AlertEvent[] = [];
    for (const rule of rules) {
      for (const slug of rule.slug ? [rule.slug] : all) {
        const from = now - rule.windowMs;
        const value = measure(rule, slug, await this.deps.window(slug, from, now + 1), from, now + 1);
        if (value === undefined || value < rule.threshold) continue;
        const recent = await this.db
          .selectFrom('alert_events')
          .select('id')
          .where('rule_id', '=', rule.id)
          .where('slug', '=', slug)
          .where('created_at', '>', now - rule.cooldownMs)
          .executeTakeFirst();
        if (recent) continue;
        fired.push(await this.fire(rule, slug, value, now));
      }
    }
    return fired;
  }

  private async fire(rule: AlertRule, slug: string, value: number, now: number): Promise<AlertEvent> {
    const message = `[braid] ${slug}: ${DESCRIBE[rule.kind](value)} over the last ${Math.round(rule.windowMs / 1000)} s (threshold ${rule.threshold})`;
    const event: AlertEvent = {
      id: randomUUID(),
      ruleId: rule.id,
      slug,
      kind: rule.kind,
      value,
      threshold: rule.threshold,
      message,
      createdAt: now,
      delivery: rule.webhookUrl ? 'pending' : 'none',
      deliveryError: null,
    };
    await this.db
      .insertInto('alert_events')
      .values({
        id: event.id,
        rule_id: rule.id,
        slug,
        kind: rule.kind,
        value,
        threshold: rule.threshold,
        message,
        delivery: event.delivery,
        delivery_error: null,
        created_at: now,
      })
      .execute();
    if (rule.webhookUrl) {
      try {
        const res = await guardedFetch(rule.webhookUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'braid-alerts' },
          body: JSON.stringify({
            type: 'braid.alert',
            text: message,
            alert: event,
            rule: { id: rule.id, kind: rule.kind, threshold: rule.threshold, windowMs: rule.windowMs },
          }),
          allowHosts: this.deps.allowHosts,
          timeoutMs: 10_000,
          maxBytes: 64 * 1024,
          maxRedirects: 0,
        });
        event.delivery = res.status >= 200 && res.status < 300 ? 'delivered' : 'failed';
        if (event.delivery === 'failed') event.deliveryError = `webhook answered HTTP ${res.status}`;
      } catch (err) {
        event.delivery = 'failed';
        event.deliveryError = (err as Error).message.slice(0, 500);
      }
      await this.db
        .updateTable('alert_events')
        .set({ delivery: event.delivery, delivery_error: event.deliveryError })
        .where('id', '=', event.id)
        .execute();
    }
    return event;
  }
}
