import { useCallback, useState } from 'react';
import { DEPLOYMENT_SETTING_LIMITS, type DeploymentDetail, type DeploymentSettings } from '../../shared/api/deployment';
import { NumberInput } from '../ui/NumberInput';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { deployApi } from './api';

/** Rate limit, timeout, body limit, CORS allow-list, log retention, PII redaction, memory window. */
export function SettingsTab({ detail, onChange }: { detail: DeploymentDetail; onChange: () => void }) {
  const toast = useUi((s) => s.toast);
  const [s, setS] = useState<DeploymentSettings>(detail.settings);
  const [cors, setCors] = useState(detail.settings.corsOrigins.join('\n'));
  // Fields whose text is not a valid value: Save is refused until they are fixed.
  const [invalid, setInvalid] = useState<ReadonlySet<string>>(new Set());
  const validity = useCallback(
    (key: string) => (ok: boolean) =>
      setInvalid((cur) => {
        if (ok !== cur.has(key)) return cur;
        const next = new Set(cur);
        if (ok) next.delete(key);
        else next.add(key);
        return next;
      }),
    [],
  );
  const save = () => {
    const settings: DeploymentSettings = {
      ...s,
      corsOrigins: cors
        .split(/[\s,]+/)
        .map((o) => o.trim())
        .filter(Boolean),
      webhookUrl: s.webhookUrl?.trim() || null,
    };
    deployApi.settings(detail.slug, settings).then(
      () => {
        toast('success', 'settings saved');
        onChange();
      },
      (e) => toast('error', describeError(e)),
    );
  };
  const field = (
    label: string,
    key: keyof typeof DEPLOYMENT_SETTING_LIMITS,
    value: number,
    set: (n: number) => void,
    help?: string,
  ) => (
    <label className="field">
      <span className="field-label">{label}</span>
      <NumberInput
        label={label}
        value={value}
        integer
        min={DEPLOYMENT_SETTING_LIMITS[key][0]}
        max={DEPLOYMENT_SETTING_LIMITS[key][1]}
        onChange={(n) => n !== undefined && set(n)}
        onValidity={validity(key)}
        testId={`setting-${key}`}
      />
      {help && <span className="field-help">{help}</span>}
    </label>
  );
  return (
    <div className="fields" style={{ maxWidth: 520 }} data-testid="deploy-settings">
      {field('Requests per minute (per key)', 'rateLimit.requestsPerMinute', s.rateLimit.requestsPerMinute, (n) =>
        setS({ ...s, rateLimit: { ...s.rateLimit, requestsPerMinute: n } }),
      )}
      {field(
        'Burst',
        'rateLimit.burst',
        s.rateLimit.burst,
        (n) => setS({ ...s, rateLimit: { ...s.rateLimit, burst: n } }),
        'Calls above the rate get 429 with Retry-After.',
      )}
      {field('Timeout (ms)', 'timeoutMs', s.timeoutMs, (n) => setS({ ...s, timeoutMs: n }))}
      {field('Largest request body (bytes)', 'maxBodyBytes', s.maxBodyBytes, (n) => setS({ ...s, maxBodyBytes: n }))}
      {field('Keep request logs (days)', 'logRetentionDays', s.logRetentionDays, (n) =>
        setS({ ...s, logRetentionDays: n }),
      )}
      {field('Conversation memory: messages', 'history.maxMessages', s.history.maxMessages, (n) =>
        setS({ ...s, history: { ...s.history, maxMessages: n } }),
      )}
      {field('Conversation memory: tokens', 'history.maxTokens', s.history.maxTokens, (n) =>
        setS({ ...s, history: { ...s.history, maxTokens: n } }),
      )}
      <label className="field">
        <span className="field-label">Allowed browser origins (CORS), one per line</span>
        <textarea
          className="input"
          rows={3}
          value={cors}
          placeholder="https://app.example.com"
          onChange={(e) => setCors(e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field-label">Webhook for runs that pause for a person (URL)</span>
        <input
          className="input"
          type="url"
          value={s.webhookUrl ?? ''}
          placeholder="https://hooks.example.com/braid"
          data-testid="setting-webhookUrl"
          onChange={(e) => setS({ ...s, webhookUrl: e.target.value })}
        />
        <span className="field-help">
          When a call answered 202 (its run waits for a person), the outcome is POSTed here when the run ends, signed
          with X-Braid-Signature. A call&apos;s own <code>webhook</code> wins. Empty: only calls that give one.
        </span>
      </label>
      <label className="check">
        <input type="checkbox" checked={s.redactPii} onChange={(e) => setS({ ...s, redactPii: e.target.checked })} />{' '}
        Mask e-mails, phone and card numbers in stored logs
      </label>
      <div className="row" style={{ gap: 8 }}>
        <button
          className="btn btn-primary"
          onClick={save}
          disabled={invalid.size > 0}
          title={invalid.size > 0 ? 'Fix the fields marked in red first' : undefined}
        >
          Save
        </button>
        <button
          className="btn btn-danger"
          onClick={() => {
            if (!confirm(`Delete deployment ${detail.slug}? Its endpoint and keys stop working.`)) return;
            deployApi.remove(detail.slug).then(
              () => (location.hash = '#/deployments'),
              (e) => toast('error', describeError(e)),
            );
          }}
        >
          Delete deployment
        </button>
      </div>
    </div>
  );
}
