import { useCallback, useEffect, useState } from 'react';
import type { AlertEvent, AlertKind, AlertRule, DeploymentStats } from '../../shared/api/deployment';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { deployApi } from './api';
import { LineChart } from './Charts';

const WINDOWS = [
  { label: '1 hour', windowMs: 3_600_000, bucketMs: 60_000 },
  { label: '24 hours', windowMs: 86_400_000, bucketMs: 30 * 60_000 },
  { label: '7 days', windowMs: 7 * 86_400_000, bucketMs: 3 * 3_600_000 },
];

const KINDS: Array<{ kind: AlertKind; label: string; example: number }> = [
  { kind: 'error_rate', label: 'Error rate ≥ (0–1)', example: 0.05 },
  { kind: 'p95_latency_ms', label: 'p95 latency ≥ (ms)', example: 2000 },
  { kind: 'cost_per_hour', label: 'Cost per hour ≥ ($)', example: 1 },
  { kind: 'negative_feedback_rate', label: 'Negative feedback ≥ (0–1)', example: 0.3 },
  { kind: 'prompt_injection', label: 'Prompt-injection detections ≥', example: 1 },
];

/** Requests, errors, latency percentiles, tokens and cost over time; alert rules and fired alerts. */
export function MonitorTab({ slug }: { slug: string }) {
  const toast = useUi((s) => s.toast);
  const [w, setW] = useState(0);
  const [stats, setStats] = useState<DeploymentStats | null>(null);
  const [rules, setRules] = useState<AlertRule[]>([]);
  const [events, setEvents] = useState<AlertEvent[]>([]);
  const [draft, setDraft] = useState({
    kind: 'error_rate' as AlertKind,
    threshold: 0.05,
    windowMin: 5,
    minSamples: 10,
    webhookUrl: '',
  });

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

  const addRule = () => {
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
          <span className="muted">Errors</span>
          <span>{(t.errorRate * 100).toFixed(1)}%</span>
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
            title={`Requests per minute`}
            buckets={stats.buckets}
            series={[{ label: 'req/min', color: '#3b82f6', value: (b) => b.requests / minutes }]}
          />
          <LineChart
            title="Error rate"
            unit="%"
            buckets={stats.buckets}
            series={[
              { label: 'errors', color: '#ef4444', value: (b) => (b.requests ? (100 * b.errors) / b.requests : null) },
            ]}
          />
          <LineChart
            title="Latency"
            unit=" ms"
            buckets={stats.buckets}
            series={[
              { label: 'p50', color: '#10b981', value: (b) => b.p50 },
              { label: 'p95', color: '#f59e0b', value: (b) => b.p95 },
              { label: 'p99', color: '#ef4444', value: (b) => b.p99 },
            ]}
          />
          <LineChart
            title="Tokens"
            buckets={stats.buckets}
            series={[{ label: 'tokens', color: '#8b5cf6', value: (b) => b.tokens }]}
          />
          <LineChart
            title="Cost"
            unit=" $"
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
      <table className="table">
        <tbody>
          {rules.map((r) => (
            <tr key={r.id}>
              <td>{r.kind}</td>
              <td>≥ {r.threshold}</td>
              <td className="small">
                over {Math.round(r.windowMs / 60_000)} min{r.slug === null ? ' (all deployments)' : ''}
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
      <div className="row" style={{ gap: 6, flexWrap: 'wrap', marginTop: 8 }}>
        <select
          className="input"
          value={draft.kind}
          onChange={(e) => {
            const k = KINDS.find((x) => x.kind === e.target.value);
            setDraft({ ...draft, kind: e.target.value as AlertKind, threshold: k?.example ?? 1 });
          }}
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.label}
            </option>
          ))}
        </select>
        <input
          className="input"
          type="number"
          style={{ width: 90 }}
          value={draft.threshold}
          onChange={(e) => setDraft({ ...draft, threshold: Number(e.target.value) })}
          aria-label="threshold"
        />
        <input
          className="input"
          type="number"
          style={{ width: 70 }}
          value={draft.windowMin}
          onChange={(e) => setDraft({ ...draft, windowMin: Number(e.target.value) })}
          aria-label="window (minutes)"
          title="window (minutes)"
        />
        <input
          className="input"
          type="number"
          style={{ width: 70 }}
          value={draft.minSamples}
          onChange={(e) => setDraft({ ...draft, minSamples: Number(e.target.value) })}
          aria-label="minimum samples"
          title="minimum samples"
        />
        <input
          className="input"
          placeholder="webhook URL (optional)"
          value={draft.webhookUrl}
          onChange={(e) => setDraft({ ...draft, webhookUrl: e.target.value })}
        />
        <button className="btn" onClick={addRule}>
          Add rule
        </button>
      </div>
    </div>
  );
}
