import { useEffect, useState } from 'react';
import type { DeploymentDiff } from '../../shared/api/deployment';
import { describeError } from '../panels/runController';
import { ChangeList } from '../ui/ChangeList';
import { deployApi } from './api';

/** What changed from one deployed version to another (GET /api/deployments/:slug/diff). */
export function VersionDiff({
  slug,
  from,
  to,
  onClose,
}: {
  slug: string;
  from: number;
  to: number;
  onClose: () => void;
}) {
  const [diff, setDiff] = useState<DeploymentDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    deployApi.diff(slug, from, to).then(
      (d) => alive && setDiff(d),
      (e) => alive && setError(describeError(e)),
    );
    return () => {
      alive = false;
    };
  }, [slug, from, to]);
  return (
    <section className="version-diff" data-testid="version-diff" aria-label={`Changes from v${from} to v${to}`}>
      <div className="row" style={{ gap: 8 }}>
        <h3 style={{ margin: 0 }}>
          v{from} → v{to}
        </h3>
        {diff ? <span data-testid="version-diff-summary">{diff.summary}</span> : null}
        <span className="spacer" />
        <button className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </div>
      {diff?.from.note || diff?.to.note ? (
        <p className="muted small">
          {diff.from.note ? `v${from}: ${diff.from.note}` : ''}
          {diff.from.note && diff.to.note ? ' · ' : ''}
          {diff.to.note ? `v${to}: ${diff.to.note}` : ''}
        </p>
      ) : null}
      {error ? <p className="field-error">{error}</p> : null}
      {!diff && !error ? <p className="muted">Loading…</p> : null}
      {diff ? <ChangeList snapshot={diff.diff} /> : null}
    </section>
  );
}
