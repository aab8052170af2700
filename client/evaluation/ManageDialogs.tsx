/** Rename and delete dialogs for datasets and evaluations (the API's field errors shown at the field). */
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/http';
import { Modal } from '../ui/Modal';

/** The message of an API error that concerns `field` (from `details.issues`), else undefined. */
function fieldMessage(e: unknown, field: string): string | undefined {
  if (!(e instanceof ApiError)) return undefined;
  const issues = (e.details as { issues?: Array<{ path: string; message: string }> } | undefined)?.issues;
  const hit = issues?.find((i) => i.path === field);
  return hit ? hit.message.charAt(0).toUpperCase() + hit.message.slice(1) : undefined;
}

export function RenameDialog({
  title,
  initial,
  onSave,
  onClose,
  testId,
}: {
  title: string;
  initial: string;
  /** Saves the new name; a rejection with a `name` issue is shown under the field. */
  onSave: (name: string) => Promise<void>;
  onClose: () => void;
  testId: string;
}) {
  const [name, setName] = useState(initial);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const empty = name.trim() === '';
  const save = async () => {
    if (empty) {
      setError('Name is required');
      return;
    }
    setBusy(true);
    try {
      await onSave(name.trim());
      onClose();
    } catch (e) {
      setError(fieldMessage(e, 'name') ?? (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn btn-primary" disabled={busy} onClick={() => void save()} data-testid="rename-save">
            Rename
          </button>
        </>
      }
    >
      <label className={`field${error ? ' has-error' : ''}`}>
        <span className="field-label">Name</span>
        <input
          className="input"
          value={name}
          autoFocus
          maxLength={200}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${testId}-error` : undefined}
          onChange={(e) => {
            setName(e.target.value);
            setError(undefined);
          }}
          onKeyDown={(e) => e.key === 'Enter' && void save()}
          data-testid="rename-input"
        />
        {error && (
          <span className="field-error" id={`${testId}-error`} role="alert" data-testid="rename-error">
            {error}
          </span>
        )}
      </label>
    </Modal>
  );
}

export function ConfirmDeleteDialog({
  title,
  children,
  onDelete,
  onClose,
  testId,
}: {
  title: string;
  /** What deleting does, in words. */
  children: ReactNode;
  onDelete: () => Promise<void>;
  onClose: () => void;
  testId: string;
}) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const remove = async () => {
    setBusy(true);
    try {
      await onDelete();
      onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId={testId}
      footer={
        <>
          <button className="btn" onClick={onClose} autoFocus>
            Cancel
          </button>
          <button className="btn btn-danger" disabled={busy} onClick={() => void remove()} data-testid="confirm-delete">
            Delete
          </button>
        </>
      }
    >
      <div className="eval-confirm">{children}</div>
      {error && (
        <div className="banner" role="alert" data-testid="delete-error">
          {error}
        </div>
      )}
    </Modal>
  );
}
