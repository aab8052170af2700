import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useReactFlow,
  useStore as useFlowStore,
  type Connection,
  type Edge,
  type FinalConnectionState,
  type IsValidConnection,
  type Node,
} from '@xyflow/react';
import { PORT_COLORS } from '../../shared/ports';
import { useDoc, beginDrag, endDrag } from '../store/docStore';
import { useDerived } from '../store/derived';
import { useUi } from '../store/uiStore';
import { useRun } from '../store/runStore';
import { CALLS_FLOW, portsOf } from '../store/catalog';
import { navigate } from '../app/router';
import type { BraidNode } from '../store/convert';
import { edgeId, fromRfEdge, toRfEdge } from '../store/convert';
import { nodeTypes } from './FlowNodeView';
import { connectionProblem } from './connect';
import { useConnecting } from './connecting';
import { DND_TYPE } from './Palette';
import { DiffPicker } from './DiffPicker';
import { FIT_VIEW, FIT_VIEW_ANIMATED } from './fit';
import { ChangesPanel, useChangesPanel } from './ChangesPanel';

const PRO = { hideAttribution: true };

/** Colour of each edge by its source port's type; one pass over the nodes, not one search per edge. */
function edgeColors(): (source: string, port: string | null | undefined) => string {
  const { nodes, meta } = useDoc.getState();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  return (source, port) => {
    const n = byId.get(source);
    const p = n ? portsOf(n.data, meta).outputs.find((o) => o.name === port) : undefined;
    return p ? PORT_COLORS[p.type] : PORT_COLORS.any;
  };
}

/**
 * The minimap of a big flow draws every node: mount it when the browser is idle after the
 * canvas first paints, so it does not delay the moment the canvas answers input.
 */
function useDeferredMount(defer: boolean): boolean {
  const [ready, setReady] = useState(!defer);
  useEffect(() => {
    if (ready) return;
    const ric = window.requestIdleCallback;
    if (ric) {
      const id = ric(() => setReady(true), { timeout: 1500 });
      return () => window.cancelIdleCallback(id);
    }
    const t = setTimeout(() => setReady(true), 300);
    return () => clearTimeout(t);
  }, [ready]);
  return ready;
}

function diffCounts(diff: NonNullable<ReturnType<typeof useDerived.getState>['diff']>) {
  const c = {
    added: 0,
    changed: 0,
    removed: 0,
    edges: Object.keys(diff.edges).length,
    settings: diff.detail.settings.length,
    notes: diff.detail.notes.filter((n) => n.kind !== 'moved').length,
  };
  for (const k of Object.values(diff.nodes)) c[k]++;
  return c;
}

function DiffLegend({ counts }: { counts: ReturnType<typeof diffCounts> }) {
  const none = counts.added + counts.changed + counts.removed + counts.edges + counts.settings + counts.notes === 0;
  const base = useUi((s) => s.diffBase);
  const open = useChangesPanel((s) => s.open);
  return (
    <div className="diff-legend" data-testid="diff-legend">
      <b>{base ? `Changes since ${base.label}` : 'Changes since last save'}</b>
      {none ? (
        <span className="muted">none</span>
      ) : (
        <>
          <span className="lg-added">+{counts.added} added</span>
          <span className="lg-changed">~{counts.changed} changed</span>
          <span className="lg-removed">−{counts.removed} removed</span>
          <span className="muted">{counts.edges} edge change(s)</span>
          {counts.settings ? <span className="lg-changed">~{counts.settings} flow setting(s)</span> : null}
          {counts.notes ? <span className="lg-changed">~{counts.notes} note change(s)</span> : null}
          <button
            className="btn btn-small"
            data-testid="diff-details"
            aria-expanded={open}
            onClick={() => useChangesPanel.setState({ open: !open, focus: null })}
          >
            {open ? 'Hide details' : 'What changed?'}
          </button>
        </>
      )}
      <DiffPicker />
    </div>
  );
}

/** The React Flow canvas bound to the document store. */
export function Canvas({ onAddAt }: { onAddAt: (type: string, pos: { x: number; y: number }) => void }) {
  const nodes = useDoc((s) => s.nodes);
  const notes = useDoc((s) => s.notes);
  const edges = useDoc((s) => s.edges);
  const onNodesChange = useDoc((s) => s.onNodesChange);
  const onEdgesChange = useDoc((s) => s.onEdgesChange);
  const addEdge = useDoc((s) => s.addEdge);
  const theme = useUi((s) => s.theme);
  const showDiff = useUi((s) => s.showDiff);
  const diff = useDerived((s) => s.diff);
  const edgeProblems = useDerived((s) => s.edgeProblems);
  const runStatus = useRun((s) => s.nodeStatus);
  const rf = useReactFlow();
  // Far zoom: port labels are unreadable anyway; dropping them saves paint on big flows.
  const far = useFlowStore((s) => s.transform[2] < 0.3);
  const showMiniMap = useDeferredMount(nodes.length > 200);
  const [refusal, setRefusal] = useState<string | null>(null);
  const refusalTimer = useRef<ReturnType<typeof setTimeout>>(undefined);

  const refuse = useCallback((reason: string) => {
    setRefusal(reason);
    clearTimeout(refusalTimer.current);
    refusalTimer.current = setTimeout(() => setRefusal(null), 5000);
  }, []);

  const displayNodes = useMemo<Node[]>(() => {
    const withNotes: Node[] = notes.length ? [...notes, ...nodes] : nodes;
    if (!showDiff || !diff?.removedNodes.length) return withNotes;
    const ghosts: Node[] = diff.removedNodes.map((n) => ({
      id: `__removed__${n.id}`,
      type: 'ghost',
      position: n.position,
      data: { id: n.id, type: n.type, title: n.title },
      // Fixed size: ghosts are not in the store, so React Flow's measuring would never land.
      width: 220,
      height: 64,
      selectable: false,
      draggable: false,
      connectable: false,
      deletable: false,
    }));
    return [...withNotes, ...ghosts];
  }, [nodes, notes, showDiff, diff]);

  // Edge styling follows edges, problems, diff and run state — not node drags.
  const displayEdges = useMemo<Edge[]>(() => {
    const edgeColor = edgeColors();
    const styled: Edge[] = edges.map((e) => {
      const problem = edgeProblems[e.id];
      const added = showDiff && diff?.edges[e.id] === 'added';
      const active = runStatus[e.source] === 'succeeded' && runStatus[e.target] === 'running';
      return {
        ...e,
        className: [problem ? 'edge-problem' : '', added ? 'edge-added' : ''].join(' '),
        animated: active,
        style: { stroke: problem ? 'var(--danger)' : edgeColor(e.source, e.sourceHandle), strokeWidth: 2 },
        ...(problem ? { label: '⚠', labelStyle: { fill: 'var(--danger)' } } : {}),
      };
    });
    if (showDiff && diff?.removedEdges.length) {
      for (const fe of diff.removedEdges) {
        const src = diff.nodes[fe.source] === 'removed' ? `__removed__${fe.source}` : fe.source;
        const tgt = diff.nodes[fe.target] === 'removed' ? `__removed__${fe.target}` : fe.target;
        const base = toRfEdge(fe);
        styled.push({
          ...base,
          id: `__removed__${edgeId(fe)}`,
          source: src,
          target: tgt,
          sourceHandle: diff.nodes[fe.source] === 'removed' ? null : base.sourceHandle,
          targetHandle: diff.nodes[fe.target] === 'removed' ? null : base.targetHandle,
          className: 'edge-removed',
          selectable: false,
          deletable: false,
          animated: false,
          style: { stroke: 'var(--danger)', strokeDasharray: '6 4', strokeWidth: 2 },
        });
      }
    }
    return styled;
  }, [edges, edgeProblems, showDiff, diff, runStatus]);

  const isValidConnection = useCallback<IsValidConnection>((c) => connectionProblem(c as Connection) === null, []);

  const onConnect = useCallback(
    (c: Connection) => {
      const problem = connectionProblem(c);
      if (problem) return refuse(problem);
      addEdge(fromRfEdge(c));
    },
    [addEdge, refuse],
  );

  // While a connection is dragged, ports show whether they would accept it.
  const onConnectStart = useCallback(
    (_e: unknown, p: { nodeId: string | null; handleId: string | null; handleType: 'source' | 'target' | null }) => {
      if (!p.nodeId || !p.handleId || !p.handleType) return;
      const meta = useDoc.getState().meta;
      const n = useDoc.getState().nodes.find((x) => x.id === p.nodeId);
      if (!n) return;
      const ports = portsOf(n.data, meta);
      const port = (p.handleType === 'source' ? ports.outputs : ports.inputs).find((x) => x.name === p.handleId);
      if (port) useConnecting.setState({ from: { nodeId: p.nodeId, handleType: p.handleType, portType: port.type } });
    },
    [],
  );

  const onConnectEnd = useCallback(
    (_e: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      useConnecting.setState({ from: null });
      if (state.isValid || !state.fromHandle || !state.toHandle) return;
      const from = state.fromHandle;
      const to = state.toHandle;
      const [s, t] = from.type === 'source' ? [from, to] : [to, from];
      const problem = connectionProblem({
        source: s.nodeId,
        sourceHandle: s.id ?? null,
        target: t.nodeId,
        targetHandle: t.id ?? null,
      });
      if (problem) refuse(problem);
    },
    [refuse],
  );

  // Double-click a subflow, map or loop node: open the flow it runs (the unsaved-changes
  // guard asks first when this flow has edits).
  const onNodeDoubleClick = useCallback((_: unknown, node: BraidNode) => {
    const flow = node.data.config?.flow;
    if (CALLS_FLOW.has(node.data.type) && typeof flow === 'string' && flow)
      navigate(`/flows/${encodeURIComponent(flow)}`);
  }, []);

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DND_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    }
  }, []);

  const onDrop = useCallback(
    (e: DragEvent) => {
      const type = e.dataTransfer.getData(DND_TYPE);
      if (!type) return;
      e.preventDefault();
      const pos = rf.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      onAddAt(type, { x: Math.round(pos.x - 100), y: Math.round(pos.y - 20) });
    },
    [rf, onAddAt],
  );

  return (
    <div className={`canvas ${far ? 'zoom-far' : ''}`} onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
      <ReactFlow
        nodes={displayNodes}
        edges={displayEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange as never}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onConnectStart={onConnectStart}
        onConnectEnd={onConnectEnd}
        onNodeDoubleClick={onNodeDoubleClick as never}
        isValidConnection={isValidConnection}
        onNodeDragStart={beginDrag}
        onNodeDragStop={endDrag}
        onSelectionDragStart={beginDrag}
        onSelectionDragStop={endDrag}
        colorMode={theme}
        deleteKeyCode={null}
        selectionKeyCode="Shift"
        multiSelectionKeyCode={['Shift', 'Meta', 'Control']}
        minZoom={0.05}
        maxZoom={2}
        fitView
        fitViewOptions={FIT_VIEW}
        proOptions={PRO}
        onlyRenderVisibleElements={nodes.length > 200}
      >
        <Background gap={20} size={1} />
        {showMiniMap ? (
          <MiniMap pannable zoomable className="minimap" nodeStrokeWidth={2} style={{ width: 160, height: 100 }} />
        ) : null}
        <Controls showInteractive={false} fitViewOptions={FIT_VIEW_ANIMATED} />
      </ReactFlow>
      {nodes.length === 0 && notes.length === 0 ? (
        <div className="canvas-empty">
          <h3>An empty flow</h3>
          <p>
            Drag <b>Inputs</b>, a <b>Prompt</b> and <b>Outputs</b> from the palette on the left, then connect an output
            port (right side of a node) to an input port (left side).
          </p>
          <p className="muted">
            Press <kbd>?</kbd> for keyboard shortcuts.
          </p>
        </div>
      ) : null}
      {edges.length === 0 &&
      nodes.length > 0 &&
      nodes.every((n) => n.data.type === 'input' || n.data.type === 'output') ? (
        <div className="canvas-hint" data-testid="canvas-hint">
          Drag a <b>Prompt</b> from the palette between <b>Inputs</b> and <b>Outputs</b>, then connect an output port
          (right side of a node) to an input port (left side).
        </div>
      ) : null}
      {showDiff && diff ? (
        <div className="diff-overlay">
          <DiffLegend counts={diffCounts(diff)} />
          <ChangesPanel />
        </div>
      ) : null}
      {refusal ? (
        <div className="refusal" role="alert" data-testid="connection-refused">
          <b>Connection refused.</b> {refusal}
        </div>
      ) : null}
    </div>
  );
}
