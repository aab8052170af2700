import { useState } from 'react';
import type { DeploymentDetail } from '../../shared/api/deployment';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { deployApi } from './api';
import { CopyBlock } from './CopyBlock';
import { RollbackConfirm } from './DeployResultModal';
import { snippets } from './snippets';
import { VersionDiff } from './VersionDiff';

/** Versions with rollback (asked once), a diff of any two versions, API keys, and copy-ready snippets. */
export function OverviewTab({ detail, onChange }: { detail: DeploymentDetail; onChange: () => void }) {
  const toast = useUi((s) => s.toast);
  const [lang, setLang] = useState(0);
  const [newKey, setNewKey] = useState<string | null>(null);
  const [label, setLabel] = useState('');
  const [rollbackTo, setRollbackTo] = useState<number | null>(null);
  /** Versions ticked for comparison (at most two; a third replaces the oldest pick). */
  const [picked, setPicked] = useState<number[]>([]);
  const [compare, setCompare] = useState<[number, number] | null>(null);
  const pick = (v: number, on: boolean) =>
    setPicked((p) => (on ? [...p.filter((x) => x !== v), v].slice(-2) : p.filter((x) => x !== v)));
  const pair = picked.length === 2 ? ([Math.min(...picked), Math.max(...picked)] as [number, number]) : null;
  const live = detail.versions.find((v) => v.version === detail.liveVersion);
  const list = snippets({ url: detail.url, slug: detail.slug, inputs: live?.inputs ?? [], chat: detail.chat });
  const act = (fn: () => Promise<unknown>, done?: string) => () => {
    fn().then(
      () => {
        if (done) toast('success', done);
        onChange();
      },
      (e) => toast('error', describeError(e)),
    );
  };
  return (
    <div>
      <p>
        <strong>{detail.url}</strong> · serving <strong>v{detail.liveVersion}</strong> of flow{' '}
        <a href={`#/flows/${detail.flowId}`}>{detail.flowId}</a>
      </p>
      <h3>Versions</h3>
      <table className="table" data-testid="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Deployed</th>
            <th>Flows in the snapshot</th>
            <th>Note</th>
            <th>Evaluation</th>
            <th>Compare</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {detail.versions.map((v) => (
            <tr key={v.version}>
              <td>
                v{v.version}
                {v.version === detail.liveVersion && <span className="st-succeeded small"> live</span>}
              </td>
              <td>{new Date(v.createdAt).toLocaleString()}</td>
              <td className="small" data-testid={`snapshot-flows-v${v.version}`}>
                {(v.flows ?? [detail.flowId]).map((f, i) => (
                  <span key={f}>
                    {i > 0 ? ', ' : ''}
                    <code title={i === 0 ? 'the deployed flow' : 'a flow it calls (frozen in this version)'}>{f}</code>
                  </span>
                ))}
              </td>
              <td>{v.note ?? ''}</td>
              <td className="small">
                {v.evaluationId ? <a href={`#/evaluations/${v.evaluationId}`}>passed gate</a> : '—'}
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`compare v${v.version}`}
                  checked={picked.includes(v.version)}
                  onChange={(e) => pick(v.version, e.target.checked)}
                />
              </td>
              <td>
                {v.version !== detail.liveVersion && (
                  <button className="btn btn-small" onClick={() => setRollbackTo(v.version)}>
                    {v.version < detail.liveVersion ? 'Roll back' : 'Make live'}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" style={{ gap: 8, marginTop: 8 }}>
        <button
          className="btn btn-small"
          disabled={!pair}
          onClick={() => pair && setCompare(pair)}
          title="Tick two versions in the Compare column"
        >
          {pair ? `Compare v${pair[0]} → v${pair[1]}` : 'Compare two versions'}
        </button>
        {!pair ? <span className="muted small">Tick two versions to see what changed between them.</span> : null}
      </div>
      {compare ? (
        <VersionDiff
          key={compare.join('-')}
          slug={detail.slug}
          from={compare[0]}
          to={compare[1]}
          onClose={() => setCompare(null)}
        />
      ) : null}
      {rollbackTo !== null ? (
        <RollbackConfirm
          slug={detail.slug}
          to={rollbackTo}
          live={detail.liveVersion}
          onCancel={() => setRollbackTo(null)}
          onDone={() => {
            setRollbackTo(null);
            onChange();
          }}
        />
      ) : null}
      <p className="muted small">
        Callers can pin a version with <code>?version=N</code> (or <code>model: "{detail.slug}@N"</code> on the
        OpenAI-compatible API).
      </p>

      <h3>API keys</h3>
      <table className="table">
        <tbody>
          {detail.keys.map((k) => (
            <tr key={k.id}>
              <td>{k.label}</td>
              <td className="small muted">{k.prefix}</td>
              <td className="small">
                {k.revokedAt ? (
                  <span className="st-failed">revoked</span>
                ) : k.lastUsedAt ? (
                  `used ${new Date(k.lastUsedAt).toLocaleString()}`
                ) : (
                  'never used'
                )}
              </td>
              <td>
                <button
                  className="btn btn-small"
                  onClick={() => {
                    const next = prompt('Label for this key', k.label)?.trim();
                    if (next && next !== k.label)
                      act(() => deployApi.labelKey(detail.slug, k.id, next), 'key relabelled')();
                  }}
                >
                  Rename
                </button>{' '}
                {!k.revokedAt && (
                  <button
                    className="btn btn-small btn-danger"
                    onClick={act(() => deployApi.revokeKey(detail.slug, k.id), 'key revoked')}
                  >
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="row" style={{ gap: 8, marginTop: 8 }}>
        <input
          className="input"
          placeholder="label, e.g. mobile app"
          value={label}
          onChange={(e) => setLabel(e.target.value)}
        />
        <button
          className="btn"
          onClick={() =>
            deployApi.createKey(detail.slug, label || 'key').then(
              (r) => {
                setNewKey(r.apiKey);
                setLabel('');
                onChange();
              },
              (e) => toast('error', describeError(e)),
            )
          }
        >
          Create key
        </button>
      </div>
      {newKey && (
        <>
          <p>New key — shown once:</p>
          <CopyBlock code={newKey} testId="created-key" />
        </>
      )}

      <h3>Call it</h3>
      <div className="tabs">
        {list.map((s, i) => (
          <button key={s.label} className={`tab${i === lang ? ' active' : ''}`} onClick={() => setLang(i)}>
            {s.label}
          </button>
        ))}
        <span className="spacer" />
        <a className="small" href={`/api/deployments/${detail.slug}/openapi.json`} target="_blank" rel="noreferrer">
          OpenAPI 3.1
        </a>
      </div>
      <CopyBlock code={list[lang]?.code ?? ''} testId="snippet" />
    </div>
  );
}
