import { useEffect, useState } from 'react';
import type { FlowIO } from '../../shared/flow/schema';
import { useDoc } from '../store/docStore';
import { useRun } from '../store/runStore';
import { startRun, cancelRun } from './runController';
import { Timeline } from './Timeline';
import { SpanDetails } from './SpanDetails';
import { Icon } from '../ui/Icon';
import { CancelWaitingRun } from './CancelWaitingRun';

function parseInput(io: FlowIO, text: string): unknown {
  if (io.type === 'number') return text === '' ? undefined : Number(text);
  if (io.type === 'boolean') return text === 'true';
  if (io.type === 'string') return text;
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function showInput(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Inputs form, run/cancel/re-run, the live node timeline and the selected node's details. */
export function RunPanel() {
  const inputsDecl = useDoc((s) => s.meta.inputs);
  const status = useRun((s) => s.status);
  const lastInputs = useRun((s) => s.inputs);
  const error = useRun((s) => s.error);
  const trace = useRun((s) => s.trace);
  const waitTasks = useRun((s) => s.waitTasks);
  const runId = useRun((s) => s.runId);
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => {
    setDraft((d) => {
      const next = { ...d };
      for (const io of inputsDecl)
        if (next[io.name] === undefined) next[io.name] = showInput(lastInputs[io.name] ?? io.default);
      return next;
    });
  }, [inputsDecl, lastInputs]);
  const values = () => {
    const out: Record<string, unknown> = {};
    for (const io of inputsDecl) {
      const v = parseInput(io, draft[io.name] ?? '');
      if (v !== undefined) out[io.name] = v;
    }
    return out;
  };
  // Required inputs left empty: said at the field, and the run is not sent.
  const [missing, setMissing] = useState<string[]>([]);
  const submit = () => {
    const empty = inputsDecl
      .filter((io) => io.required && io.default === undefined && (draft[io.name] ?? '').trim() === '')
      .map((io) => io.name);
    setMissing(empty);
    if (empty.length === 0) void startRun(values());
  };
  const running = status === 'running';
  return (
    <div className="run-panel">
      <form
        className="run-inputs"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h4>Inputs</h4>
        {inputsDecl.length === 0 ? <p className="muted small">This flow declares no inputs.</p> : null}
        {inputsDecl.map((io) => (
          <label className="field" key={io.name}>
            <span className="field-label">
              {io.name} <span className="muted">{io.type}</span>
              {io.required ? <span className="port-req">*</span> : null}
            </span>
            {io.type === 'boolean' ? (
              <select
                className="input"
                value={draft[io.name] ?? 'false'}
                onChange={(e) => setDraft({ ...draft, [io.name]: e.target.value })}
              >
                <option>false</option>
                <option>true</option>
              </select>
            ) : (
              <textarea
                className="input"
                rows={io.type === 'string' ? 2 : 3}
                aria-label={`run input ${io.name}`}
                value={draft[io.name] ?? ''}
                aria-invalid={missing.includes(io.name)}
                onChange={(e) => {
                  setDraft({ ...draft, [io.name]: e.target.value });
                  if (missing.includes(io.name)) setMissing(missing.filter((m) => m !== io.name));
                }}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
                    e.preventDefault();
                    submit();
                  }
                }}
              />
            )}
            {missing.includes(io.name) && (
              <span className="field-error" role="alert">
                {io.name} is required: enter a value to run the flow.
              </span>
            )}
          </label>
        ))}
        <div className="row">
          {running ? (
            <button type="button" className="btn btn-danger" onClick={() => void cancelRun()}>
              <Icon name="stop" size={12} /> Cancel
            </button>
          ) : (
            <button type="submit" className="btn btn-primary" data-testid="run-submit">
              <Icon name="play" size={12} /> Run
            </button>
          )}
          {!running && trace ? (
            <button
              type="button"
              className="btn"
              onClick={() => void startRun(trace.inputs)}
              title="Run again with the inputs of the last run"
            >
              Re-run
            </button>
          ) : null}
        </div>
        <div className={`run-status st-${status}`} data-testid="run-status">
          {status === 'idle' ? 'Not run yet' : status}
          {trace
            ? ` · ${Math.round(trace.durationMs)} ms · ${trace.usage.totalTokens} tokens${trace.usage.cost != null ? ` · $${trace.usage.cost.toFixed(5)}` : ''}`
            : ''}
        </div>
        {waitTasks.length ? (
          <div className="run-waiting small" data-testid="run-waiting">
            Waiting for a person:{' '}
            <a
              href={waitTasks.length === 1 ? `#/inbox/${encodeURIComponent(waitTasks[0].taskId)}` : '#/inbox'}
              data-testid="run-waiting-link"
            >
              {waitTasks.length === 1 ? '1 task' : `${waitTasks.length} tasks`} in the Inbox
            </a>
            . The run resumes when they are decided.{' '}
            {runId ? <CancelWaitingRun runId={runId} small testId="run-cancel-waiting" /> : null}
          </div>
        ) : null}
        {error ? (
          <div className="field-error run-error" role="alert" data-testid="run-error">
            {error}
          </div>
        ) : null}
      </form>
      <div className="run-timeline">
        <Timeline />
      </div>
      <div className="run-details">
        <SpanDetails />
      </div>
    </div>
  );
}
