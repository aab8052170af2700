import { useState } from 'react';
import { Modal } from '../ui/Modal';
import { useSession } from '../store/sessionStore';
import { useDoc } from '../store/docStore';
import { useRun } from '../store/runStore';
import { useUi } from '../store/uiStore';
import { portsOf } from '../store/catalog';
import { flushEdits, reloadTheirs, saveAsCopy, saveCurrent } from '../store/persist';
import { api } from '../api/http';
import { describeError } from './runController';
import { navigate } from '../app/router';

function NodeRunResult({ result, nodeId }: { result: Awaited<ReturnType<typeof api.runNode>>; nodeId: string }) {
  const span = result.trace?.spans.find((s) => s.nodeId === nodeId);
  return (
    <div data-testid="node-run-result">
      <div className="kv small">
        <span>status</span>
        <b className={`st-${span?.status ?? result.status}`}>{span?.status ?? result.status}</b>
        {span ? (
          <>
            <span>duration</span>
            <b>{Math.round(span.durationMs)} ms</b>
          </>
        ) : null}
        {span?.tokens ? (
          <>
            <span>tokens</span>
            <b>
              {span.tokens.promptTokens} in / {span.tokens.completionTokens} out
            </b>
          </>
        ) : null}
      </div>
      {span?.error ? (
        <div className="field-error" role="alert">
          {span.error.code}: {span.error.message}
        </div>
      ) : null}
      <h5>Outputs</h5>
      <pre className="json">{JSON.stringify(span?.outputs ?? result.outputs, null, 2)}</pre>
    </div>
  );
}

export const SHORTCUTS: [string, string][] = [
  ['Ctrl/⌘ + S', 'Save'],
  ['Ctrl/⌘ + Z', 'Undo'],
  ['Shift + Ctrl/⌘ + Z  (or Ctrl + Y)', 'Redo'],
  ['Ctrl/⌘ + C / V', 'Copy / paste nodes and notes (also into another flow)'],
  ['Ctrl/⌘ + D', 'Duplicate the selected nodes and notes'],
  ['Ctrl/⌘ + A', 'Select all nodes'],
  ['Delete / Backspace', 'Delete the selection'],
  ['Shift + drag', 'Box-select'],
  ['Shift + click', 'Add to selection'],
  ['Ctrl/⌘ + Enter', 'Run the flow'],
  ['Shift + L', 'Auto-layout'],
  ['Shift + 1', 'Zoom to fit'],
  ['Escape', 'Clear the selection / close dialogs'],
  ['?', 'This help'],
];

export function ShortcutsDialog() {
  const close = () => useUi.getState().setShowShortcuts(false);
  return (
    <Modal title="Keyboard shortcuts" onClose={close} testId="shortcuts-dialog">
      <table className="table shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Modal>
  );
}

/** A save was refused because the file changed on disk since it was opened. */
export function ConflictDialog() {
  const [busy, setBusy] = useState(false);
  const close = () => useSession.getState().setConflict(false);
  const act = (fn: () => Promise<unknown>) => async () => {
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      useUi.getState().toast('error', describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title="This flow changed on disk"
      onClose={close}
      testId="conflict-dialog"
      footer={
        <>
          <button className="btn" disabled={busy} onClick={act(reloadTheirs)}>
            Reload theirs
          </button>
          <button
            className="btn"
            disabled={busy}
            onClick={act(async () => {
              const id = await saveAsCopy();
              useSession.getState().setDirty(false); // our version is safe in the copy
              navigate(`/flows/${id}`);
            })}
          >
            Save as copy
          </button>
          <button className="btn btn-danger" disabled={busy} onClick={act(() => saveCurrent({ force: true }))}>
            Overwrite
          </button>
        </>
      }
    >
      <p>Someone (another tab, an editor or git) saved a newer version of this file after you opened it.</p>
      <ul className="small">
        <li>
          <b>Reload theirs</b> discards your unsaved changes and opens the file as it is now.
        </li>
        <li>
          <b>Overwrite</b> replaces their version with yours.
        </li>
        <li>
          <b>Save as copy</b> keeps both: your version becomes a new flow.
        </li>
      </ul>
    </Modal>
  );
}

/** Run one node alone with hand-entered inputs (prefilled from the last run), like a debugger. */
export function NodeRunDialog({ nodeId, onClose }: { nodeId: string; onClose: () => void }) {
  const data = useDoc((s) => s.nodes.find((n) => n.id === nodeId)?.data);
  const meta = useDoc((s) => s.meta);
  const lastSpan = useRun((s) => s.spans[nodeId]);
  const flowId = useSession((s) => s.flowId);
  const dirty = useSession((s) => s.dirty);
  const ports = data ? portsOf(data, meta).inputs : [];
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      ports.map((p) => {
        const v = lastSpan?.inputs?.[p.name];
        return [p.name, v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v)];
      }),
    ),
  );
  const [result, setResult] = useState<Awaited<ReturnType<typeof api.runNode>> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    if (!flowId) return;
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      if (!(await flushEdits())) return;
      const inputs: Record<string, unknown> = {};
      for (const p of ports) {
        const t = draft[p.name] ?? '';
        if (t === '' && !p.required) continue;
        if (p.type === 'string') inputs[p.name] = t;
        else {
          try {
            inputs[p.name] = JSON.parse(t);
          } catch {
            inputs[p.name] = t;
          }
        }
      }
      setResult(await api.runNode(flowId, nodeId, inputs));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      title={`Run node “${nodeId}”`}
      onClose={onClose}
      testId="node-run-dialog"
      wide
      footer={
        <button className="btn btn-primary" disabled={busy} onClick={() => void run()}>
          {busy ? 'Running…' : 'Run node'}
        </button>
      }
    >
      <p className="muted small">
        Runs only this node with the inputs below ({lastSpan ? 'prefilled from the last run' : 'type them in'}). JSON is
        accepted for non-string ports.{dirty ? ' Your changes are saved first.' : ''}
      </p>
      {ports.length === 0 ? <p className="muted small">This node has no input ports.</p> : null}
      {ports.map((p) => (
        <label className="field" key={p.name}>
          <span className="field-label">
            {p.name} <span className="muted">{p.type}</span>
          </span>
          <textarea
            className="input"
            rows={2}
            value={draft[p.name] ?? ''}
            onChange={(e) => setDraft({ ...draft, [p.name]: e.target.value })}
          />
        </label>
      ))}
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
      {result ? <NodeRunResult result={result} nodeId={nodeId} /> : null}
    </Modal>
  );
}
