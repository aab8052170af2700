import { useCallback, useEffect, useState } from 'react';
import { ReactFlowProvider, useReactFlow } from '@xyflow/react';
import { useDoc, undo, redo } from '../store/docStore';
import { useSession } from '../store/sessionStore';
import { useUi, type BottomTab } from '../store/uiStore';
import { useCatalog } from '../store/catalog';
import { useDerived, startDerivedWatcher } from '../store/derived';
import { flushEdits, openFlow, saveCurrent } from '../store/persist';
import { clearDraft, pendingDraft, startDraftWatcher, type Draft } from '../store/drafts';
import { useRun } from '../store/runStore';
import { useFlowIndex } from '../store/flowIndex';
import { useKbIndex, withKbDefaults } from '../store/kbIndex';
import { Canvas } from '../canvas/Canvas';
import { Palette } from '../canvas/Palette';
import { autoLayout } from '../canvas/layout';
import { Inspector } from '../inspector/Inspector';
import { ProblemsPanel } from '../panels/ProblemsPanel';
import { RunPanel } from '../panels/RunPanel';
import { HistoryPanel } from '../panels/HistoryPanel';
import { ChatPanel } from '../panels/ChatPanel';
import { ConflictDialog, NodeRunDialog, ShortcutsDialog } from '../panels/Dialogs';
import { describeError, openRun } from '../panels/runController';
import { addNavigationGuard, navigate } from '../app/router';
import { ErrorBoundary } from '../app/ErrorBoundary';
import { Icon } from '../ui/Icon';
import { useShortcuts } from './useShortcuts';
import { DeployButton } from '../deploy/DeployButton';
import { useStore as useTemporalStore } from 'zustand';
import { FIT_VIEW_ANIMATED } from '../canvas/fit';

/** Deploy what is on the canvas: unsaved edits are saved first; a failed save cancels the deploy. */
async function saveBeforeDeploy(): Promise<void> {
  if (!(await flushEdits())) throw new Error('the flow could not be saved, so it was not deployed');
}

function Toolbar() {
  const name = useDoc((s) => s.meta.name);
  const dirty = useSession((s) => s.dirty);
  const saving = useSession((s) => s.saving);
  const showDiff = useUi((s) => s.showDiff);
  const diffCount = useDerived((s) => s.diff?.count ?? 0);
  const canUndo = useTemporalStore(useDoc.temporal, (s) => s.pastStates.length > 0);
  const canRedo = useTemporalStore(useDoc.temporal, (s) => s.futureStates.length > 0);
  const rf = useReactFlow();
  const flowId = useDoc((s) => s.meta.id);
  return (
    <div className="toolbar">
      <button className="btn-icon" onClick={() => navigate('/flows')} aria-label="Back to flows" title="All flows">
        ←
      </button>
      <div className="toolbar-title">
        <input
          className={`title-input ${name.trim() ? '' : 'is-invalid'}`}
          data-testid="flow-title-input"
          aria-label="Flow name"
          aria-invalid={name.trim() ? undefined : true}
          aria-describedby={name.trim() ? undefined : 'flow-title-error'}
          placeholder="Flow name"
          value={name}
          size={Math.max(8, Math.min(40, name.length + 1))}
          onChange={(e) => useDoc.getState().setMeta({ name: e.target.value })}
          onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
        />
        <span data-testid="flow-title" hidden>
          {name}
        </span>
        {name.trim() ? null : (
          <span id="flow-title-error" className="title-error" role="alert" data-testid="flow-title-error">
            Name is required
          </span>
        )}
        {dirty ? <span className="dirty-dot" title="Unsaved changes" data-testid="dirty-dot" /> : null}
      </div>
      <div className="toolbar-group">
        <button className="btn-icon" onClick={undo} disabled={!canUndo} aria-label="Undo" title="Undo (Ctrl/⌘+Z)">
          <Icon name="undo" />
        </button>
        <button className="btn-icon" onClick={redo} disabled={!canRedo} aria-label="Redo" title="Redo (Shift+Ctrl/⌘+Z)">
          <Icon name="redo" />
        </button>
        <button
          className="btn-icon"
          onClick={() => void autoLayout().then(() => requestAnimationFrame(() => void rf.fitView(FIT_VIEW_ANIMATED)))}
          aria-label="Auto-layout"
          title="Auto-layout (Shift+L)"
        >
          <Icon name="layout" />
        </button>
        <button
          className="btn-icon"
          onClick={() => void rf.fitView(FIT_VIEW_ANIMATED)}
          aria-label="Zoom to fit"
          title="Zoom to fit (Shift+1)"
        >
          <Icon name="fit" />
        </button>
        <button
          className="btn btn-small"
          onClick={() => {
            const el = document.querySelector('.canvas')?.getBoundingClientRect();
            const p = rf.screenToFlowPosition({
              x: (el?.left ?? 0) + (el?.width ?? 800) / 2,
              y: (el?.top ?? 0) + (el?.height ?? 600) / 3,
            });
            useDoc.getState().addNote({ x: Math.round(p.x - 120), y: Math.round(p.y - 70) });
          }}
          title="Add a sticky note (saved in the flow file)"
          data-testid="add-note"
        >
          <Icon name="sticky-note" size={12} /> Note
        </button>
        <button
          className={`btn btn-small ${showDiff ? 'active' : ''}`}
          onClick={() => useUi.getState().setShowDiff(!showDiff)}
          title="Show what changed since the last save (or a git commit)"
          data-testid="diff-toggle"
        >
          <Icon name="diff" size={12} /> Changes{diffCount ? ` (${diffCount})` : ''}
        </button>
        <button
          className="btn-icon"
          onClick={() => useUi.getState().setShowShortcuts(true)}
          aria-label="Keyboard shortcuts"
          title="Keyboard shortcuts (?)"
        >
          <Icon name="keyboard" />
        </button>
      </div>
      <div className="toolbar-group">
        <button className="btn" onClick={() => useUi.getState().setBottomTab('run')} data-testid="open-run">
          <Icon name="play" size={12} /> Run
        </button>
        <button className="btn btn-primary" onClick={() => void saveCurrent()} disabled={saving} data-testid="save">
          <Icon name="save" size={12} /> {saving ? 'Saving…' : 'Save'}
        </button>
        <DeployButton flowId={flowId} beforeDeploy={saveBeforeDeploy} />
      </div>
    </div>
  );
}

function BottomPanel() {
  const tab = useUi((s) => s.bottomTab);
  const setTab = useUi((s) => s.setBottomTab);
  const problems = useDerived((s) => s.problems.length);
  const runStatus = useRun((s) => s.status);
  const tabs: [BottomTab, string][] = [
    ['problems', `Problems${problems ? ` (${problems})` : ''}`],
    ['run', `Run${runStatus === 'running' ? ' •' : ''}`],
    ['chat', 'Chat'],
    ['history', 'History'],
  ];
  return (
    <div className={`bottom ${tab ? 'open' : ''}`}>
      <div className="tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <button
            key={id}
            role="tab"
            aria-selected={tab === id}
            className={`tab ${tab === id ? 'active' : ''} ${id === 'problems' && problems ? 'has-problems' : ''}`}
            onClick={() => setTab(tab === id ? null : id)}
            data-testid={`tab-${id}`}
          >
            {label}
          </button>
        ))}
        <span className="spacer" />
        {tab ? (
          <button className="btn-icon" aria-label="Close panel" onClick={() => setTab(null)}>
            ×
          </button>
        ) : null}
      </div>
      {tab ? (
        <div className="bottom-body">
          <ErrorBoundary label="the panel">
            {tab === 'problems' ? (
              <ProblemsPanel />
            ) : tab === 'run' ? (
              <RunPanel />
            ) : tab === 'chat' ? (
              <ChatPanel />
            ) : (
              <HistoryPanel />
            )}
          </ErrorBoundary>
        </div>
      ) : null}
    </div>
  );
}

function DraftBanner({ flowId }: { flowId: string }) {
  const [draft, setDraft] = useState<Draft | null>(() => pendingDraft(flowId));
  if (!draft) return null;
  return (
    <div className="banner info" role="status" data-testid="draft-banner">
      You have unsaved changes from {new Date(draft.savedAt).toLocaleString()}.
      <button
        className="btn btn-small"
        onClick={() => {
          useDoc.getState().load(draft.flow);
          setDraft(null);
        }}
      >
        Restore them
      </button>
      <button
        className="btn btn-small"
        onClick={() => {
          clearDraft(flowId);
          setDraft(null);
        }}
      >
        Discard
      </button>
    </div>
  );
}

function Editor() {
  useShortcuts();
  const rf = useReactFlow();
  const byType = useCatalog((s) => s.byType);
  const showShortcuts = useUi((s) => s.showShortcuts);
  const conflict = useSession((s) => s.conflict);
  const [runNode, setRunNode] = useState<string | null>(null);
  const addAt = useCallback(
    (type: string, pos: { x: number; y: number }) => {
      const example = byType[type]?.example;
      let config = example ? structuredClone(example) : undefined;
      if (config && type === 'retrieval') config = withKbDefaults(config);
      useDoc.getState().addNode(type, pos, config);
    },
    [byType],
  );
  const addCentered = useCallback(
    (type: string) => {
      const el = document.querySelector('.canvas')?.getBoundingClientRect();
      const p = rf.screenToFlowPosition({
        x: (el?.left ?? 0) + (el?.width ?? 800) / 2,
        y: (el?.top ?? 0) + (el?.height ?? 600) / 2,
      });
      // Step down until the spot is free, so a new node never hides another.
      const pos = { x: Math.round(p.x - 100), y: Math.round(p.y - 40) };
      const taken = useDoc.getState().nodes.map((n) => n.position);
      for (let i = 0; i < 50 && taken.some((t) => Math.abs(t.x - pos.x) < 200 && Math.abs(t.y - pos.y) < 90); i++)
        pos.y += 100;
      addAt(type, pos);
    },
    [rf, addAt],
  );
  return (
    <div className="editor">
      <Toolbar />
      <DraftBanner flowId={useSession.getState().flowId ?? ''} />
      <div className="editor-body">
        <Palette onAdd={addCentered} />
        <div className="editor-center">
          <ErrorBoundary label="the canvas">
            <Canvas onAddAt={addAt} />
          </ErrorBoundary>
          <BottomPanel />
        </div>
        <ErrorBoundary label="the inspector">
          <Inspector onRunNode={setRunNode} />
        </ErrorBoundary>
      </div>
      {showShortcuts ? <ShortcutsDialog /> : null}
      {conflict ? <ConflictDialog /> : null}
      {runNode ? <NodeRunDialog nodeId={runNode} onClose={() => setRunNode(null)} /> : null}
    </div>
  );
}

/**
 * The builder for one flow: palette, canvas, inspector, problems/run/history panel.
 * `runId` shows that stored run on the canvas once the flow is open (followed while it waits).
 */
export default function FlowEditorPage({ flowId, runId }: { flowId: string; runId?: string }) {
  const [state, setState] = useState<'loading' | 'ready' | { error: string }>('loading');
  const loadCatalog = useCatalog((s) => s.load);
  const catalogError = useCatalog((s) => s.error);
  useEffect(() => {
    startDerivedWatcher();
    startDraftWatcher();
    let alive = true;
    setState('loading');
    // Knowledge bases are optional here (a failure leaves the list unknown).
    Promise.all([loadCatalog(), useFlowIndex.getState().load(), useKbIndex.getState().load(), openFlow(flowId)])
      .then(() => {
        if (!alive) return;
        setState('ready');
        if (runId) {
          useUi.getState().setBottomTab('run');
          openRun(runId).catch((e) => useUi.getState().toast('error', `Run ${runId}: ${describeError(e)}`));
        }
        // Fetch and parse Monaco while the user looks at the canvas, not on the first click.
        const idle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 1200));
        idle(() => void import('../inspector/CodeEditor'), { timeout: 3000 });
      })
      .catch((e) => alive && setState({ error: describeError(e) }));
    return () => {
      alive = false;
    };
  }, [flowId, runId, loadCatalog]);
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent) => {
      if (!useSession.getState().dirty) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    const removeGuard = addNavigationGuard(
      () => !useSession.getState().dirty || confirm('You have unsaved changes. Leave without saving?'),
    );
    return () => {
      window.removeEventListener('beforeunload', onBeforeUnload);
      removeGuard();
      useSession.getState().close();
    };
  }, []);
  if (state === 'loading') return <div className="muted pad">Opening {flowId}…</div>;
  if (typeof state === 'object')
    return (
      <div className="empty-page" role="alert">
        <h2>Could not open “{flowId}”</h2>
        <p>{state.error}</p>
        <a className="btn" href="#/flows">
          Back to flows
        </a>
      </div>
    );
  return (
    <ReactFlowProvider>
      {catalogError ? <div className="banner warn">{catalogError}</div> : null}
      <Editor />
    </ReactFlowProvider>
  );
}
