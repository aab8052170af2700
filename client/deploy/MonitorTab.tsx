import { useCallback, useEffect, useState } from 'react';
import type { AlertEvent, AlertKind, AlertRule, DeploymentStats } from '../../shared/api/deployment';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { deployApi } from './api';
import { NumberInput } from '../ui/NumberInput';
import { LineChart } from './Charts';

const WINDOWS = [
  { label: '1 hour', windowMs: 3_600_000, bucketMs: 60_000 },
  { label: '24 hours', windowMs: 86_400_000, bucketMs: 30 * 60_000 },
  { label: '7 days', windowMs: 7 * 86_400_000, bucketMs: 3 * 3_600_000 },
];

/** Alert kinds: what the rule watches, the threshold's unit and its range, a sensible default. */
const KINDS: Array<{
  kind: AlertKind;
  label: string;
  unit: string;
  example: number;
  min: number;
  max?: number;
}> = [
  { kind: 'error_rate', label: 'Server error rate (5xx)', unit: 'share 0–1', example: 0.05, min: 0, max: 1 },
  { kind: 'client_error_rate', label: 'Client error rate (4xx)', unit: 'share 0–1', example: 0.2, min: 0, max: 1 },
  { kind: 'p95_latency_ms', label: 'p95 latency', unit: 'ms', example: 2000, min: 0 },
  { kind: 'cost_per_hour', label: 'Cost per hour', unit: 'USD', example: 1, min: 0 },
  { kind: 'negative_feedback_rate', label: 'Negative feedback rate', unit: 'share 0–1', example: 0.3, min: 0, max: 1 },
  { kind: 'prompt_injection', label: 'Prompt-injection detections', unit: 'count', example: 1, min: 0 },
];
const kindOf = (k: AlertKind) => KINDS.find((x) => x.kind === k);
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Requests, errors, latency percentiles, tokens and cost over time; alert rules and fired alerts. */
export function MonitorTab({ slug }: { slug: string }) {
  const toast = useUi((s) => s.toast);
  const [w, setW] = useState(0);
  const [stats, setStats] = useState<DeploymentStats | null>(null);
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [events, setEvents] = useState<AlertEvent[]>([]);
  const [draft, setDraft] = useState<{
    kind: AlertKind;
    threshold: number | undefined;
    windowMin: number | undefined;
    minSamples: number | undefined;
    webhookUrl: string;
  }>({ kind: 'error_rate', threshold: 0.05, windowMin: 5, minSamples: 10, webhookUrl: '' });
  const [invalid, setInvalid] = useState<Record<string, boolean>>({});
  const validity = useCallback(
    (field: string) => (ok: boolean) => setInvalid((v) => (v[field] === !ok ? v : { ...v, [field]: !ok })),
    [],
  );
  const [thresholdOk, windowOk, samplesOk] = [validity('threshold'), validity('window'), validity('samples')];

  const load = useCallback(() => {
    const win = WINDOWS[w] ?? WINDOWS[0];
    if (!win) return;
    deployApi.stats(slug, win.windowMs, win.bucketMs).then(setStats, (e) => toast('error', describeError(e)));
    deployApi.rules(slug).then(setRules, () => undefined);
    deployApi.events(slug).then(setEvents, () => undefined);
  }, [slug, w, toast]);
  useEffect(() => {
    load();
    const t = setInterval(load, 15_000);
    return () => clearInterval(t);
  }, [load]);

  const canAdd =
    !Object.values(invalid).some(Boolean) &&
    draft.threshold !== undefined &&
    draft.windowMin !== undefined &&
    draft.minSamples !== undefined;
  const addRule = () => {
    if (draft.threshold === undefined || draft.windowMin === undefined || draft.minSamples === undefined) return;
    deployApi
      .createRule({
        slug,
        kind: draft.kind,
        threshold: draft.threshold,
        windowMs: draft.windowMin * 60_000,
        minSamples: draft.minSamples,
        webhookUrl: draft.webhookUrl.trim() || null,
      })
      .then(load, (e) => toast('error', describeError(e)));
  };
  const t = stats?.totals;
  const kind = kindOf(draft.kind) ?? KINDS[0]!;
  const minutes = (WINDOWS[w]?.bucketMs ?? 60_000) / 60_000;
  return (
    <div data-testid="monitoring">
      <div className="row" style={{ gap: 8 }}>
        {WINDOWS.map((x, i) => (
          <button key={x.label} className={`btn btn-small${i === w ? ' btn-primary' : ''}`} onClick={() => setW(i)}>
            {x.label}
          </button>
        ))}
      </div>
      {t && (
        <div className="kv" style={{ gridTemplateColumns: 'repeat(4, auto 1fr)', marginTop: 12 }}>
          <span className="muted">Requests</span>
          <span>
            {t.requests} ({t.requestsPerMinute.toFixed(2)}/min)
          </span>
          <span className="muted">Server errors (5xx)</span>
          <span data-testid="server-error-rate">
            {pct(t.errorRate)} ({t.errors})
          </span>
          <span className="muted">Client errors (4xx)</span>
          <span data-testid="client-error-rate">
            {pct(t.clientErrorRate)} ({t.clientErrors})
          </span>
          <span className="muted">p50 / p95 / p99</span>
          <span>{[t.p50, t.p95, t.p99].map((v) => (v === null ? '—' : `${Math.round(v)}`)).join(' / ')} ms</span>
          <span className="muted">Tokens / cost</span>
          <span>
            {t.tokens} / ${t.cost.toFixed(4)}
          </span>
          <span className="muted">Feedback</span>
          <span>
            {t.feedback} ({t.negativeFeedback} negative)
          </span>
          <span className="muted">Injections</span>
          <span>{t.promptInjections}</span>
        </div>
      )}
      {stats && (
        <div style={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(320px, 1fr))', gap: 16 }}>
          <LineChart
            title="Requests"
            unit="per minute"
            buckets={stats.buckets}
            series={[{ label: 'requests', color: '#3b82f6', value: (b) => b.requests / minutes }]}
          />
          <LineChart
            title="Error rate"
            unit="%"
            testId="chart-errors"
            buckets={stats.buckets}
            series={[
              {
                label: 'server (5xx)',
                color: '#ef4444',
                value: (b) => (b.requests ? (100 * b.errors) / b.requests : null),
              },
              {
                label: 'client (4xx)',
                color: '#f59e0b',
                value: (b) => (b.requests ? (100 * b.clientErrors) / b.requests : null),
              },
            ]}
          />
          <LineChart
            title="Latency"
            unit="ms"
            testId="chart-latency"
            buckets={stats.buckets}
            series={[
              { label: 'p50', color: '#10b981', value: (b) => b.p50 },
              { label: 'p95', color: '#f59e0b', value: (b) => b.p95 },
              { label: 'p99', color: '#a855f7', value: (b) => b.p99 },
            ]}
          />
          <LineChart
            title="Tokens"
            buckets={stats.buckets}
            series={[{ label: 'tokens', color: '#8b5cf6', value: (b) => b.tokens }]}
          />
          <LineChart
            title="Cost"
            unit="USD"
            buckets={stats.buckets}
            series={[{ label: 'USD', color: '#14b8a6', value: (b) => b.cost }]}
          />
        </div>
      )}

      <h3>Alerts</h3>
      <table className="table" data-testid="alert-events">
        <tbody>
          {events.length === 0 && (
            <tr>
              <td className="muted">No alerts fired.</td>
            </tr>
          )}
          {events.map((e) => (
            <tr key={e.id}>
              <td className="small">{new Date(e.createdAt).toLocaleString()}</td>
              <td>{e.message}</td>
              <td className={`small ${e.delivery === 'failed' ? 'st-failed' : 'muted'}`} title={e.deliveryError ?? ''}>
                {e.delivery}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Rules</h4>
      <table className="table" data-testid="alert-rules">
        {rules.length > 0 && (
          <thead>
            <tr>
              <th>Alert when</th>
              <th>Threshold</th>
              <th>Window</th>
              <th>Notify</th>
              <th />
            </tr>
          </thead>
        )}
        <tbody>
          {rules.length === 0 && (
            <tr>
              <td className="muted">No rules yet: add one below.</td>
            </tr>
          )}
          {rules.map((r) => (
            <tr key={r.id}>
              <td>{kindOf(r.kind)?.label ?? r.kind}</td>
              <td>
                ≥ {r.threshold} {kindOf(r.kind)?.unit === 'share 0–1' ? `(${pct(r.threshold)})` : kindOf(r.kind)?.unit}
              </td>
              <td className="small">
                {Math.round(r.windowMs / 60_000)} min, ≥ {r.minSamples} samples
                {r.slug === null ? ' (all deployments)' : ''}
              </td>
              <td className="small muted">{r.webhookUrl ?? 'UI only'}</td>
              <td>
                <button
                  className="btn btn-small"
                  onClick={() => deployApi.deleteRule(r.id).then(load, (e) => toast('error', describeError(e)))}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="alert-form" data-testid="alert-form">
        <label className="field">
          <span className="field-label">Alert when</span>
          <select
            className="input"
            value={draft.kind}
            onChange={(e) => {
              const k = kindOf(e.target.value as AlertKind);
              setDraft({ ...draft, kind: e.target.value as AlertKind, threshold: k?.example ?? 1 });
            }}
            data-testid="alert-kind"
          >
            {KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field" style={{ width: 160 }}>
          <span className="field-label">Is at least ({kind.unit})</span>
          <NumberInput
            label={`Threshold (${kind.unit})`}
            value={draft.threshold}
            min={kind.min}
            max={kind.max}
            integer={draft.kind === 'prompt_injection'}
            onChange={(v) => setDraft({ ...draft, threshold: v })}
            onValidity={thresholdOk}
            testId="alert-threshold"
          />
        </label>
        <label className="field" style={{ width: 110 }}>
          <span className="field-label">Over (minutes)</span>
          <NumberInput
            label="Window (minutes)"
            value={draft.windowMin}
            min={1}
            max={10080}
            integer
            onChange={(v) => setDraft({ ...draft, windowMin: v })}
            onValidity={windowOk}
            testId="alert-window"
          />
        </label>
        <label className="field" style={{ width: 120 }}>
          <span className="field-label">Minimum samples</span>
          <NumberInput
            label="Minimum samples"
            value={draft.minSamples}
            min={1}
            integer
            onChange={(v) => setDraft({ ...draft, minSamples: v })}
            onValidity={samplesOk}
            testId="alert-min-samples"
          />
        </label>
        <label className="field" style={{ flex: '1 1 220px' }}>
          <span className="field-label">Webhook URL (optional)</span>
          <input
            className="input"
            placeholder="https://hooks.example.com/…"
            value={draft.webhookUrl}
            onChange={(e) => setDraft({ ...draft, webhookUrl: e.target.value })}
            data-testid="alert-webhook"
          />
        </label>
        <button className="btn alert-form-submit" disabled={!canAdd} onClick={addRule} data-testid="add-alert-rule">
          Add rule
        </button>
      </div>
    </div>
  );
}
