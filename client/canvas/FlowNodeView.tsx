import { memo, useEffect, useRef } from 'react';
import { Handle, Position, useUpdateNodeInternals, type NodeProps } from '@xyflow/react';
import { PORT_COLORS, type PortSpec } from '../../shared/ports';
import type { FlowIO } from '../../shared/flow/schema';
import type { BraidNode } from '../store/convert';
import { useDoc } from '../store/docStore';
import { useRun } from '../store/runStore';
import { useDerived } from '../store/derived';
import { useUi } from '../store/uiStore';
import { CALLS_FLOW, portsOf, previewOf, useCatalog } from '../store/catalog';
import { useFlowIndex } from '../store/flowIndex';
import type { Span } from '../../shared/runtime/events';
import { Icon } from '../ui/Icon';
import { acceptsConnection, useConnecting } from './connecting';
import { AgentBody } from './AgentBody';
import { NoteView } from './NoteView';
import { showNodeChanges } from './ChangesPanel';
import { navigate } from '../app/router';

const NO_IO: { inputs: FlowIO[]; outputs: FlowIO[] } = { inputs: [], outputs: [] };
const STATUS_LABEL: Record<string, string> = {
  running: 'running',
  retrying: 'retrying',
  succeeded: 'done',
  failed: 'failed',
  skipped: 'skipped',
  cancelled: 'cancelled',
  waiting: 'waiting',
};

function PortRow({ port, side, nodeId }: { port: PortSpec; side: 'in' | 'out'; nodeId: string }) {
  const color = PORT_COLORS[port.type] ?? PORT_COLORS.any;
  // While a connection is dragged: 'yes' / 'no' for this port (one primitive per port).
  const accepts = useConnecting((s) =>
    s.from ? (acceptsConnection(s.from, { nodeId, side, type: port.type }) ? 'yes' : 'no') : null,
  );
  return (
    <div
      className={`port port-${side} ${accepts === 'yes' ? 'port-accepts' : accepts === 'no' ? 'port-refuses' : ''}`}
      data-accepts={accepts ?? undefined}
      title={`${port.name}: ${port.type}${port.required ? ' (required)' : ''}`}
    >
      <Handle
        type={side === 'in' ? 'target' : 'source'}
        position={side === 'in' ? Position.Left : Position.Right}
        id={port.name}
        className="port-handle"
        style={{ background: color, borderColor: color }}
        data-port-type={port.type}
      />
      <span className="port-name">
        {port.name}
        {side === 'in' && port.required ? <span className="port-req">*</span> : null}
      </span>
      <span className="port-type" style={{ color }}>
        {port.type}
      </span>
    </div>
  );
}

/**
 * A map's or loop's progress as one line: live from `node_progress` events while it runs,
 * from its span's meta afterwards (e.g. a run opened from history).
 */
export function progressLabel(progress: Record<string, unknown> | undefined, span: Span | undefined): string | null {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const meta = span?.meta ?? {};
  const total = num(progress?.total) ?? num(meta.items);
  if (total !== undefined) {
    const done = num(progress?.done) ?? num(meta.succeeded) ?? 0;
    const failed = num(progress?.failed) ?? num(meta.failed) ?? 0;
    return `${done + failed}/${total}${failed ? ` · ${failed} failed` : ''}`;
  }
  const iteration = num(progress?.iteration) ?? num(meta.iterations);
  if (iteration !== undefined) {
    const max = num(progress?.maxIterations);
    return `iteration ${iteration}${max !== undefined ? ` of ${max}` : ''}`;
  }
  return null;
}

/**
 * One canvas node: icon, title, id, the model it calls, a preview of its templates or
 * expression, typed ports, last run status, problems and diff marks.
 */
export const FlowNodeView = memo(function FlowNodeView({ id, data, selected }: NodeProps<BraidNode>) {
  const usesIo = data.type === 'input' || data.type === 'output';
  // Narrow selectors: only IO nodes read the flow's declared inputs/outputs.
  const inputs = useDoc((s) => (usesIo ? s.meta.inputs : NO_IO.inputs));
  const outputs = useDoc((s) => (usesIo ? s.meta.outputs : NO_IO.outputs));
  const info = useCatalog((s) => s.byType[data.type]);
  // Tasks for people this node's run waits on (a map node counts its items' tasks).
  const waitCount = useRun((s) => s.waitTasks.reduce((n, t) => (t.nodeId === id ? n + 1 : n), 0));
  const firstTask = useRun((s) => s.waitTasks.find((t) => t.nodeId === id)?.taskId);
  const status = useRun((s) => s.nodeStatus[id] ?? (waitCount ? 'waiting' : undefined));
  const problems = useDerived((s) => s.nodeProblems[id] ?? 0);
  const diffKind = useDerived((s) => s.diff?.nodes[id]);
  const showDiff = useUi((s) => s.showDiff);
  const callsFlow = CALLS_FLOW.has(data.type);
  // Re-render when the called flow's inputs/outputs change (its ports follow them).
  useFlowIndex((s) => (callsFlow ? s.byId : null));
  const calledId = callsFlow && typeof data.config?.flow === 'string' ? data.config.flow : null;
  const calledName = useFlowIndex((s) => (calledId ? s.flows.find((f) => f.id === calledId)?.name : undefined));
  const progress = useRun((s) => (callsFlow ? progressLabel(s.progress[id], s.spans[id]) : null));
  const ports = portsOf(data, usesIo ? { inputs, outputs } : NO_IO);
  const handles = [...ports.inputs.map((p) => `i:${p.name}`), ...ports.outputs.map((p) => `o:${p.name}`)].join(',');
  // When the ports change (another flow's interface arrived or changed), React Flow must
  // re-measure the handles. Only then: a re-measure in the middle of a connection drag
  // cancels the drag, and this component re-renders during drags (connection hints).
  const updateInternals = useUpdateNodeInternals();
  const measured = useRef(handles);
  useEffect(() => {
    if (measured.current === handles) return;
    measured.current = handles;
    updateInternals(id);
  }, [handles, id, updateInternals]);
  const known = !!info || data.type === 'input' || data.type === 'output';
  const preview = previewOf(data);
  const cls = [
    'bnode',
    `bnode-${data.type}`,
    info ? `bnode-cat-${info.category.toLowerCase()}` : '',
    selected ? 'is-selected' : '',
    status ? `st-${status}` : '',
    problems ? 'has-problems' : '',
    showDiff && diffKind ? `diff-${diffKind}` : '',
    known ? '' : 'is-unknown',
  ].join(' ');
  return (
    <div className={cls} data-testid={`node-${id}`} data-status={status ?? ''}>
      <div className="bnode-head">
        <span className="bnode-icon">
          <Icon name={info?.icon ?? 'box'} size={14} />
        </span>
        <span className="bnode-title">{data.title || info?.title || data.type}</span>
        {status ? <span className={`bnode-status st-${status}`}>{STATUS_LABEL[status] ?? status}</span> : null}
        {problems ? (
          <span className="bnode-problems" title={`${problems} problem(s)`}>
            <Icon name="alert" size={12} /> {problems}
          </span>
        ) : null}
      </div>
      <div className="bnode-id">
        {id}
        {/* an agent's body shows its model above its tools */}
        {preview.model && data.type !== 'agent' ? (
          <span className="bnode-model" title={`Model: ${preview.model}`} data-testid={`model-${id}`}>
            {preview.model}
          </span>
        ) : null}
      </div>
      {preview.text && !calledId ? (
        <div className="bnode-preview" title={preview.text} data-testid={`preview-${id}`}>
          {preview.text}
        </div>
      ) : null}
      {calledId ? (
        <div className="bnode-body" title="Double-click to open this flow">
          ↳ {calledName ?? calledId}
        </div>
      ) : null}
      {data.type === 'agent' ? <AgentBody id={id} config={data.config} /> : null}
      {progress ? (
        <div className="bnode-progress" data-testid={`progress-${id}`}>
          {progress}
        </div>
      ) : null}
      {showDiff && diffKind ? (
        <div className={`bnode-diff diff-${diffKind}`}>
          {diffKind === 'changed' ? (
            <button
              className="bnode-diff-button nodrag"
              title="Show what changed in this node"
              data-testid={`node-changes-${id}`}
              onClick={() => showNodeChanges(id)}
            >
              changed
            </button>
          ) : (
            diffKind
          )}
        </div>
      ) : null}
      {waitCount ? (
        <button
          type="button"
          className="bnode-wait nodrag"
          data-testid={`wait-${id}`}
          title="Open the Inbox to decide"
          onClick={(e) => {
            e.stopPropagation();
            navigate(waitCount === 1 && firstTask ? `/inbox/${encodeURIComponent(firstTask)}` : '/inbox');
          }}
        >
          {waitCount === 1 ? '1 task' : `${waitCount} tasks`} in the Inbox →
        </button>
      ) : null}
      {showDiff && diffKind ? <div className={`bnode-diff diff-${diffKind}`}>{diffKind}</div> : null}
      <div className="bnode-ports">
        <div className="bnode-col">
          {ports.inputs.map((p) => (
            <PortRow key={p.name} port={p} side="in" nodeId={id} />
          ))}
        </div>
        <div className="bnode-col bnode-col-out">
          {ports.outputs.map((p) => (
            <PortRow key={p.name} port={p} side="out" nodeId={id} />
          ))}
        </div>
      </div>
      {usesIo && ports.inputs.length + ports.outputs.length === 0 ? (
        <div className="bnode-hint">Declare {data.type === 'input' ? 'inputs' : 'outputs'} in Flow settings</div>
      ) : null}
    </div>
  );
});

/** A node that was in the saved version and is gone now (diff view only, not editable). */
export const GhostNodeView = memo(function GhostNodeView({ data }: NodeProps) {
  const d = data as { type: string; title?: string; id: string };
  return (
    <div className="bnode diff-removed ghost">
      {/* Anchors for the removed edges drawn to and from this node. */}
      <Handle type="target" position={Position.Left} isConnectable={false} className="ghost-handle" />
      <Handle type="source" position={Position.Right} isConnectable={false} className="ghost-handle" />
      <div className="bnode-head">
        <span className="bnode-title">{d.title || d.type}</span>
        <span className="bnode-diff-tag">removed</span>
      </div>
      <div className="bnode-id">{d.id}</div>
    </div>
  );
});

/** Module scope: React Flow must get the same object every render. */
export const nodeTypes = { braid: FlowNodeView, ghost: GhostNodeView, note: NoteView };
