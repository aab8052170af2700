import { useState } from 'react';
import { ConfirmDialog } from '../ui/ConfirmDialog';
import { useUi } from '../store/uiStore';
import { cancelWaitingRun, describeError } from './runController';

/**
 * "Cancel run" for a run waiting on people (run panel, history, Inbox). Asks first: the
 * run may have waited for days, and cancelling also withdraws every pending task of it.
 */
export function CancelWaitingRun({
  runId,
  small,
  testId,
  onCancelled,
}: {
  runId: string;
  small?: boolean;
  testId: string;
  onCancelled?: () => void;
}) {
  const [asking, setAsking] = useState(false);
  const toast = useUi((s) => s.toast);
  return (
    <>
      <button
        type="button"
        className={`btn btn-danger${small ? ' btn-small' : ''}`}
        data-testid={testId}
        title="Cancel this waiting run and withdraw its pending tasks"
        onClick={() => setAsking(true)}
      >
        Cancel run
      </button>
      {asking ? (
        <ConfirmDialog
          title="Cancel this waiting run?"
          confirmLabel="Cancel the run"
          danger
          onCancel={() => setAsking(false)}
          onConfirm={async () => {
            try {
              await cancelWaitingRun(runId);
              toast('success', 'The run was cancelled; its pending tasks were withdrawn.');
              setAsking(false);
              onCancelled?.();
            } catch (err) {
              toast('error', `Cancel failed: ${describeError(err)}`);
            }
          }}
        >
          <p>
            The run <span className="mono">{runId.slice(0, 12)}</span> ends as <b>cancelled</b> and every task it waits
            on leaves the Inbox. Decisions already made stay in its record. This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
