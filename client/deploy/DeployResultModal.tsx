import { useState, type ReactNode } from 'react';
import type { DeployResult } from '../../shared/api/deployment';
import { summarizeSnapshotDiff } from '../../shared/flow/diff-text';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { ChangeList } from '../ui/ChangeList';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { Modal } from '../ui/Modal';
import { deployApi } from './api';
import { CopyBlock } from './CopyBlock';

/** "Roll back to v2? v3 stops serving." — asked once before any rollback. */
export function RollbackConfirm({
  slug,
  to,
  live,
  onDone,
  onCancel,
}: {
  slug: string;
  to: number;
  live: number;
  onDone: () => void;
  onCancel: () => void;
}) {
  const toast = useUi((s) => s.toast);
  const back = to < live;
  return (
    <ConfirmDialog
      title={back ? `Roll back to v${to}? v${live} stops serving` : `Make v${to} live? v${live} stops serving`}
      confirmLabel={back ? `Roll back to v${to}` : `Make v${to} live`}
      danger
      onCancel={onCancel}
      onConfirm={async () => {
        try {
          await deployApi.rollback(slug, to);
          toast('success', `v${to} is live; v${live} stopped serving`);
          onDone();
        } catch (e) {
          toast('error', describeError(e));
        }
      }}
    >
      <p>
        Callers of <code>{slug}</code> get v{to} from the next request. v{live} stays stored: you can make it live again
        from the versions list.
      </p>
    </ConfirmDialog>
  );
}

/**
 * What a one-click deploy did: the new version and what changed since the version that was
 * live (field-level diff one click away), an immediate Roll back (asked once), an optional
 * note — or, for an unchanged flow, that nothing was deployed.
 */
export function DeployResultModal({
  result,
  onClose,
  onChanged,
  footer,
  note: sentNote,
}: {
  result: DeployResult;
  /** The note sent with the deploy (stored with the new version), if any. */
  note?: string;
  onClose: () => void;
  /** After a rollback or a note: views that show the deployment refresh. */
  onChanged?: () => void;
  footer?: ReactNode;
}) {
  const toast = useUi((s) => s.toast);
  const [showDiff, setShowDiff] = useState(false);
  const [note, setNote] = useState(sentNote ?? '');
  const [savedNote, setSavedNote] = useState<string | null>(sentNote?.trim() || null);
  const [confirming, setConfirming] = useState(false);
  const [rolledBack, setRolledBack] = useState(false);
  const prev = result.previousVersion;

  if (confirming && prev !== null)
    return (
      <RollbackConfirm
        slug={result.slug}
        to={prev}
        live={result.version}
        onCancel={() => setConfirming(false)}
        onDone={() => {
          setConfirming(false);
          setRolledBack(true);
          onChanged?.();
        }}
      />
    );

  const saveNote = async () => {
    try {
      await deployApi.setNote(result.slug, result.version, note.trim() || null);
      setSavedNote(note.trim());
      toast('success', `note saved on v${result.version}`);
      onChanged?.();
    } catch (e) {
      toast('error', describeError(e));
    }
  };

  const moved = result.changes?.flow.summary.nodesMoved ?? 0;
  return (
    <Modal
      title={
        result.unchanged
          ? `No changes since v${result.version} — nothing deployed`
          : `Deployed ${result.slug} v${result.version}`
      }
      onClose={onClose}
      testId="deploy-result"
      wide
      footer={footer}
    >
      <CopyBlock code={result.url} />
      {result.unchanged ? (
        <p data-testid="deploy-unchanged">
          The flow{result.flows.length > 1 ? ' and the flows it calls are' : ' is'} the same as the live version v
          {result.version}, so no version was created; v{result.version} keeps serving.
          {moved > 0 ? ` (Only the layout changed: moving nodes is not deployed.)` : ''}
        </p>
      ) : null}
      {!result.unchanged && result.flows.length > 1 ? (
        <p className="small" data-testid="deployed-flows">
          This version freezes {result.flows.length} flows: {result.flows.join(', ')} (editing a called flow later does
          not change it).
        </p>
      ) : null}
      {result.apiKey ? (
        <>
          <p>API key — shown once. Copy it now; only its hash is stored.</p>
          <CopyBlock code={result.apiKey} testId="new-api-key" />
        </>
      ) : null}
      {!result.unchanged && result.changes && prev !== null ? (
        <div className="deploy-changes" data-testid="deploy-changes">
          <div className="row">
            <span>
              <strong>Changes since v{prev}:</strong>{' '}
              <span data-testid="deploy-summary">{summarizeSnapshotDiff(result.changes)}</span>
            </span>
            <span className="spacer" />
            <button className="btn btn-small" onClick={() => setShowDiff(!showDiff)} aria-expanded={showDiff}>
              {showDiff ? 'Hide field diff' : 'Show field diff'}
            </button>
            {rolledBack ? (
              <span className="st-succeeded small" data-testid="rolled-back">
                Rolled back: v{prev} is live
              </span>
            ) : (
              <button className="btn btn-small btn-danger" onClick={() => setConfirming(true)}>
                Roll back to v{prev}
              </button>
            )}
          </div>
          {showDiff ? <ChangeList snapshot={result.changes} /> : null}
        </div>
      ) : null}
      {!result.unchanged ? (
        <div className="deploy-note">
          <input
            className="input"
            aria-label={`Note for v${result.version}`}
            placeholder={`Note for v${result.version} (optional), e.g. what changed`}
            maxLength={2000}
            value={note}
            onChange={(e) => setNote(e.target.value)}
            onKeyDown={(e) => e.key === 'Enter' && void saveNote()}
          />
          <button
            className="btn btn-small"
            disabled={!note.trim() || note.trim() === savedNote}
            onClick={() => void saveNote()}
          >
            {savedNote !== null && note.trim() === savedNote ? 'Note saved' : 'Save note'}
          </button>
        </div>
      ) : null}
      {!result.unchanged && !result.apiKey && prev === null ? (
        <p className="muted">Existing API keys keep working with the new version.</p>
      ) : null}
    </Modal>
  );
}
