import { useCallback, useEffect, useState } from 'react';
import type { DeploymentDetail, DeploymentInfo, DeployResult } from '../../shared/api/deployment';
import { api, type FlowSummary } from '../api/http';
import { navigate, useRoute } from '../app/router';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { Modal } from '../ui/Modal';
import { deployApi } from './api';
import { ChatPlayground } from './ChatPlayground';
import { DeployResultModal } from './DeployResultModal';
import { LogsTab } from './LogsTab';
import { MonitorTab } from './MonitorTab';
import { OverviewTab } from './OverviewTab';
import { SettingsTab } from './SettingsTab';

const TABS = ['overview', 'monitoring', 'logs', 'settings', 'playground'] as const;
type Tab = (typeof TABS)[number];

/** Deployments: deploy a flow, versions and rollback, keys, snippets, monitoring, logs, alerts, playground. */
export default function DeployPage() {
  const route = useRoute();
  const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
  const selected = parts[1];
  const tab: Tab = (TABS as readonly string[]).includes(parts[2] ?? '') ? (parts[2] as Tab) : 'overview';
  const [list, setList] = useState<DeploymentInfo[] | null>(null);
  const [flows, setFlows] = useState<FlowSummary[]>([]);
  const [detail, setDetail] = useState<DeploymentDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [deploying, setDeploying] = useState<{ flowId: string; slug: string; note: string } | null>(null);
  const [result, setResult] = useState<{ r: DeployResult; note: string } | null>(null);
  const [playFlow, setPlayFlow] = useState('');
  const toast = useUi((s) => s.toast);

  const reload = useCallback(() => {
    deployApi.list().then(setList, (e) => setError(describeError(e)));
    api.listFlows().then(setFlows, () => undefined);
  }, []);
  useEffect(reload, [reload]);
  const reloadDetail = useCallback(() => {
    if (!selected) return setDetail(null);
    deployApi.detail(selected).then(setDetail, (e) => toast('error', describeError(e)));
  }, [selected, toast]);
  useEffect(reloadDetail, [reloadDetail]);
  // What the page shows changes elsewhere too (calls use keys, another tab rolls back):
  // refresh quietly while the page is visible and when the window regains focus.
  useEffect(() => {
    const quiet = () => {
      if (document.visibilityState !== 'visible') return;
      deployApi.list().then(setList, () => undefined);
      if (selected) deployApi.detail(selected).then(setDetail, () => undefined);
    };
    const timer = setInterval(quiet, 10_000);
    window.addEventListener('focus', quiet);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', quiet);
    };
  }, [selected]);
  /** After an action on the selected deployment: the list shows its live version too. */
  const changed = useCallback(() => {
    reload();
    reloadDetail();
  }, [reload, reloadDetail]);

  const deploy = async () => {
    if (!deploying?.flowId) return;
    try {
      const r = await deployApi.deploy(deploying.flowId, {
        ...(deploying.slug ? { slug: deploying.slug } : {}),
        ...(deploying.note ? { note: deploying.note } : {}),
      });
      setDeploying(null);
      // The shell remounts the page on navigation, so navigate when the key has been seen.
      setResult({ r, note: deploying.note });
      reload();
      if (r.slug === selected) reloadDetail();
    } catch (e) {
      toast('error', describeError(e));
    }
  };

  return (
    <div className="page" data-testid="deploy-page">
      <div className="page-head row">
        <h2>Deployments</h2>
        <span className="spacer" />
        <button
          className="btn btn-primary"
          onClick={() => setDeploying({ flowId: flows[0]?.id ?? '', slug: '', note: '' })}
        >
          Deploy a flow
        </button>
      </div>
      {error && <p className="field-error">{error}</p>}
      <div style={{ display: 'grid', gridTemplateColumns: '220px 1fr', gap: 16, alignItems: 'start' }}>
        <ul className="deploy-list" data-testid="deploy-list" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {list?.length === 0 && <li className="muted small">Nothing deployed yet.</li>}
          {list?.map((d) => (
            <li key={d.slug}>
              <a
                className={`nav-item${d.slug === selected ? ' active' : ''}`}
                href={`#/deployments/${d.slug}`}
                style={{ display: 'block', padding: '6px 8px' }}
              >
                <strong>{d.slug}</strong>{' '}
                <span className="muted small">
                  v{d.liveVersion}
                  {d.liveVersion !== d.latestVersion ? ` of ${d.latestVersion}` : ''}
                </span>
                <div className="muted small">{d.flowId}</div>
              </a>
            </li>
          ))}
        </ul>
        <section>
          {!detail && !selected && (
            <div data-testid="undeployed-playground">
              <p className="muted">Choose a deployment, or deploy a flow to get an endpoint URL and an API key.</p>
              <h3>Chat with a flow before deploying it</h3>
              <select
                className="input"
                aria-label="flow to chat with"
                value={playFlow}
                onChange={(e) => setPlayFlow(e.target.value)}
              >
                <option value="">choose a flow…</option>
                {flows.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name} ({f.id})
                  </option>
                ))}
              </select>
              {playFlow && <ChatPlayground key={playFlow} flowId={playFlow} />}
            </div>
          )}
          {detail && (
            <>
              <div className="tabs" role="tablist">
                {TABS.map((t) => (
                  <button
                    key={t}
                    role="tab"
                    aria-selected={t === tab}
                    className={`tab${t === tab ? ' active' : ''}`}
                    onClick={() => navigate(`/deployments/${detail.slug}/${t}`)}
                  >
                    {t[0]?.toUpperCase() + t.slice(1)}
                  </button>
                ))}
              </div>
              <div className="pad">
                {tab === 'overview' && <OverviewTab detail={detail} onChange={changed} />}
                {tab === 'monitoring' && <MonitorTab slug={detail.slug} />}
                {tab === 'logs' && <LogsTab slug={detail.slug} />}
                {tab === 'settings' && <SettingsTab detail={detail} onChange={changed} />}
                {tab === 'playground' && <ChatPlayground flowId={detail.flowId} />}
              </div>
            </>
          )}
        </section>
      </div>
      {deploying && (
        <Modal
          title="Deploy a flow"
          onClose={() => setDeploying(null)}
          footer={
            <button className="btn btn-primary" disabled={!deploying.flowId} onClick={() => void deploy()}>
              Deploy
            </button>
          }
        >
          <label className="field">
            <span className="field-label">Flow</span>
            <select
              className="input"
              value={deploying.flowId}
              onChange={(e) => setDeploying({ ...deploying, flowId: e.target.value })}
            >
              {flows.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name} ({f.id})
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="field-label">Slug (default: the flow id)</span>
            <input
              className="input"
              value={deploying.slug}
              placeholder={deploying.flowId}
              onChange={(e) => setDeploying({ ...deploying, slug: e.target.value })}
            />
          </label>
          <label className="field">
            <span className="field-label">Note for this version</span>
            <input
              className="input"
              value={deploying.note}
              onChange={(e) => setDeploying({ ...deploying, note: e.target.value })}
            />
          </label>
          <p className="muted small">
            A deploy stores an immutable snapshot of the flow as the next version and makes it live. Earlier versions
            stay available for rollback. When nothing changed since the live version, nothing is deployed.
          </p>
        </Modal>
      )}
      {result && (
        <DeployResultModal
          result={result.r}
          note={result.r.unchanged ? undefined : result.note}
          onChanged={changed}
          onClose={() => {
            setResult(null);
            if (result.r.slug !== selected) navigate(`/deployments/${result.r.slug}`);
          }}
        />
      )}
    </div>
  );
}
