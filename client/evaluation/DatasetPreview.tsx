import { plural } from '../ui/plural';
import { useEffect, useState } from 'react';
import type { DatasetInfo, DatasetRowRecord, DatasetVersionInfo, EvaluationInfo } from '../../shared/api/evaluation';
import { cell, evalApi } from './api';
import { ConfirmDeleteDialog, RenameDialog } from './ManageDialogs';

/** A dataset's versions, columns, bad rows and its first rows; rename and delete it. */
export function DatasetPreview({
  dataset,
  evaluations,
  onChanged,
  onDeleted,
}: {
  dataset: DatasetInfo;
  /** Evaluations that used this dataset. */
  evaluations: EvaluationInfo[];
  onChanged: () => void;
  onDeleted: () => void;
}) {
  const [dialog, setDialog] = useState<'rename' | 'delete'>();
  const [versions, setVersions] = useState<DatasetVersionInfo[]>([]);
  const [versionId, setVersionId] = useState<string | undefined>(dataset.latestVersion?.id);
  const [rows, setRows] = useState<DatasetRowRecord[]>([]);
  const [error, setError] = useState<string>();
  useEffect(() => {
    void evalApi.dataset(dataset.id).then(
      (d) => setVersions(d.versions),
      (e: Error) => setError(e.message),
    );
    setVersionId(dataset.latestVersion?.id);
  }, [dataset.id, dataset.latestVersion?.id]);
  useEffect(() => {
    if (!versionId) return;
    void evalApi.rows(versionId, 0, 50).then(setRows, (e: Error) => setError(e.message));
  }, [versionId]);
  const v = versions.find((x) => x.id === versionId) ?? dataset.latestVersion ?? undefined;
  const columns = v?.columns ?? [];
  return (
    <div className="eval-section" data-testid="dataset-preview">
      <div className="eval-row">
        <h3 data-testid="dataset-title">{dataset.name}</h3>
        <select className="input" value={versionId} onChange={(e) => setVersionId(e.target.value)} aria-label="version">
          {versions.map((x) => (
            <option key={x.id} value={x.id}>
              v{x.version} · {plural(x.rowCount, 'row')} · {new Date(x.createdAt).toLocaleString()}
            </option>
          ))}
        </select>
        <span className="nav-spacer" />
        <button className="btn btn-small" onClick={() => setDialog('rename')} data-testid="rename-dataset">
          Rename
        </button>
        <button className="btn btn-small btn-danger" onClick={() => setDialog('delete')} data-testid="delete-dataset">
          Delete
        </button>
      </div>
      {dialog === 'rename' && (
        <RenameDialog
          title="Rename dataset"
          initial={dataset.name}
          testId="rename-dataset-dialog"
          onClose={() => setDialog(undefined)}
          onSave={async (name) => {
            await evalApi.renameDataset(dataset.id, { name });
            onChanged();
          }}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDeleteDialog
          title={`Delete dataset “${dataset.name}”?`}
          testId="delete-dataset-dialog"
          onClose={() => setDialog(undefined)}
          onDelete={async () => {
            await evalApi.deleteDataset(dataset.id);
            onDeleted();
          }}
        >
          <p>Its {plural(versions.length || 1, 'version')} and their rows are deleted. This cannot be undone.</p>
          {evaluations.length > 0 ? (
            <p data-testid="delete-dataset-usage">
              {plural(evaluations.length, 'evaluation')} used it ({evaluations.map((e) => e.name).join(', ')}):{' '}
              {evaluations.length === 1 ? 'it keeps its' : 'they keep their'} results — inputs, outputs and scores — but
              cannot be resumed or re-run on this dataset.
            </p>
          ) : (
            <p className="muted">No evaluation used it.</p>
          )}
        </ConfirmDeleteDialog>
      )}
      {error && <div className="banner">{error}</div>}
      {v && (
        <p className="muted" data-testid="dataset-meta">
          {plural(v.rowCount, 'row')} · {plural(columns.length, 'column')} ({columns.join(', ')}) ·{' '}
          {v.format.toUpperCase()} · hash {v.contentHash?.slice(0, 12)}
        </p>
      )}
      {v && v.badRowCount > 0 && (
        <div className="banner" data-testid="bad-rows">
          {v.badRowCount} bad row(s) skipped:
          <ul>
            {v.badRows.slice(0, 10).map((b) => (
              <li key={b.line}>
                line {b.line}: {b.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="eval-table-wrap">
        <table className="eval-table">
          <thead>
            <tr>
              <th>#</th>
              {columns.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.idx}>
                <td className="muted">{r.idx + 1}</td>
                {columns.map((c) => (
                  <td key={c}>{cell(r.data[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
