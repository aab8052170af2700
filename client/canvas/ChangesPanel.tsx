import { create } from 'zustand';
import { summarizeFlowDiff } from '../../shared/flow/diff-text';
import { useDerived } from '../store/derived';
import { useDoc } from '../store/docStore';
import { useUi } from '../store/uiStore';
import { ChangeList } from '../ui/ChangeList';

/** Whether the Changes view's detail panel is open, and the node it shows first. */
export const useChangesPanel = create<{ open: boolean; focus: string | null }>()(() => ({
  open: false,
  focus: null,
}));

/** Open the panel at a node's changes (the "changed" mark on a canvas node does this). */
export function showNodeChanges(nodeId: string): void {
  useChangesPanel.setState({ open: true, focus: nodeId });
}

/**
 * The Changes view in words: every changed field of every node with its value before and
 * after, prompt text as a line diff, flow settings and edges (the shared diff engine's result).
 */
export function ChangesPanel() {
  const open = useChangesPanel((s) => s.open);
  const focus = useChangesPanel((s) => s.focus);
  const showDiff = useUi((s) => s.showDiff);
  const diff = useDerived((s) => s.diff);
  const base = useUi((s) => s.diffBase);
  if (!open || !showDiff || !diff) return null;
  return (
    <aside className="changes-panel" data-testid="changes-panel" aria-label="What changed">
      <div className="changes-panel-head">
        <strong>{base ? `Changes since ${base.label}` : 'Changes since last save'}</strong>
        <span className="muted small">{summarizeFlowDiff(diff.detail)}</span>
        <span className="spacer" />
        <button
          className="btn-icon"
          aria-label="Close the changes panel"
          onClick={() => useChangesPanel.setState({ open: false, focus: null })}
        >
          ×
        </button>
      </div>
      <ChangeList diff={diff.detail} focus={focus} onNode={(nodeId) => useDoc.getState().selectOnly([nodeId])} />
    </aside>
  );
}
