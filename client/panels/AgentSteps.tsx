/**
 * An agent node's steps in the run panel, live while it runs: each model turn (its thinking
 * text streaming in, duration, tokens), each tool call with its arguments, then its result or
 * error and duration, a limit that stopped the loop, and the answer. A flow tool's call opens
 * its child run in place.
 */
import { memo, useState } from 'react';
import { useRun } from '../store/runStore';
import { entriesFromSpan, type AgentEntry, type AgentModelEntry, type AgentToolEntry } from '../store/agentSteps';
import { ChildSpans } from './ChildRuns';
import { Icon } from '../ui/Icon';
import { JsonView } from '../ui/JsonView';

const LIMITS: Record<string, string> = {
  maxIterations: 'the step limit (maxIterations)',
  maxTokens: 'the token budget (budget.maxTokens)',
  maxCostUsd: 'the cost budget (budget.maxCostUsd)',
  maxDurationMs: 'the time budget (budget.maxDurationMs)',
};
const PREVIEW = 1200;
const EMPTY: AgentEntry[] = [];

function ms(v: number | undefined): string {
  if (v === undefined) return '';
  return v < 10 ? `${v.toFixed(1)} ms` : v < 10_000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

function Value({ value, label }: { value: unknown; label: string }) {
  return (
    <div className="agent-value">
      <span className="agent-value-label">{label}</span>
      <JsonView value={value} max={PREVIEW} />
    </div>
  );
}

function ModelStep({ e, n }: { e: AgentModelEntry; n: number }) {
  const facts = [
    e.status === 'running' ? (e.retries ? `retry ${e.retries}…` : 'running…') : ms(e.durationMs),
    e.tokens !== undefined ? `${e.tokens} tokens` : '',
    e.status === 'done' && e.toolCalls ? `asked for ${e.toolCalls} tool${e.toolCalls === 1 ? '' : 's'}` : '',
    e.retries && e.status !== 'running' ? `${e.retries} retr${e.retries === 1 ? 'y' : 'ies'}` : '',
  ].filter(Boolean);
  // The answer turn's text is shown once, as the answer.
  const showText = e.text && (e.status !== 'done' || (e.toolCalls ?? 0) > 0);
  return (
    <li
      className={`agent-step agent-model st-${e.status === 'cut' ? 'failed' : e.status}`}
      data-testid={`agent-model-${n}`}
    >
      <div className="agent-step-head">
        <Icon name="bot" size={12} />
        <b>{e.final ? 'Final model call (no tools)' : `Model · step ${e.iteration}`}</b>
        <span className="muted">{facts.join(' · ')}</span>
        {e.status === 'cut' ? <span className="agent-badge bad">cut by the time budget</span> : null}
      </div>
      {showText ? <div className="agent-thinking">{e.text}</div> : null}
    </li>
  );
}

function ToolStep({ e, n }: { e: AgentToolEntry; n: number }) {
  const [open, setOpen] = useState(false);
  return (
    <li className={`agent-step agent-tool st-${e.status}`} data-testid={`agent-tool-${n}`}>
      <div className="agent-step-head">
        <Icon name={e.toolKind === 'mcp' ? 'plug' : e.toolKind === 'flow' ? 'workflow' : 'wrench'} size={12} />
        <b className="mono">{e.name}</b>
        {e.toolKind ? <span className="agent-badge">{e.toolKind === 'mcp' ? 'MCP' : 'flow'}</span> : null}
        <span className="muted">{e.status === 'running' ? 'running…' : ms(e.durationMs)}</span>
        {e.childRunId ? (
          <button
            type="button"
            className="linklike agent-open-run"
            data-testid={`agent-open-run-${n}`}
            onClick={() => setOpen(!open)}
            title="Open this tool call's run (the flow's own spans)"
          >
            {open ? 'Close run' : 'Open run ↗'}
          </button>
        ) : null}
      </div>
      <Value label="arguments" value={e.arguments} />
      {e.status === 'done' ? <Value label="result" value={e.result} /> : null}
      {e.error ? (
        <div className="field-error agent-tool-error">
          {e.error.code}: {e.error.message}
        </div>
      ) : null}
      {open && e.childRunId ? <ChildSpans runId={e.childRunId} /> : null}
    </li>
  );
}

/** The steps of agent node `nodeId`: live entries of the current run, else read from its span. */
export const AgentSteps = memo(function AgentSteps({ nodeId }: { nodeId: string }) {
  const live = useRun((s) => s.agentSteps[nodeId] ?? EMPTY);
  const span = useRun((s) => s.spans[nodeId]);
  const entries = live.length ? live : span ? entriesFromSpan(span) : EMPTY;
  if (entries.length === 0) return null;
  const tools = entries.filter((e) => e.type === 'tool').length;
  return (
    <section className="agent-steps" data-testid={`agent-steps-${nodeId}`}>
      <h5>
        Agent steps{' '}
        <span className="muted">
          ({tools} tool call{tools === 1 ? '' : 's'})
        </span>
      </h5>
      <ol className="agent-step-list">
        {entries.map((e, i) =>
          e.type === 'model' ? (
            <ModelStep key={i} e={e} n={i} />
          ) : e.type === 'tool' ? (
            <ToolStep key={i} e={e} n={i} />
          ) : e.type === 'limit' ? (
            <li key={i} className="agent-step agent-limit" data-testid="agent-limit">
              <Icon name="alert" size={12} /> Stopped by {LIMITS[e.limit] ?? e.limit}
            </li>
          ) : (
            <li key={i} className="agent-step agent-answer" data-testid="agent-answer">
              <div className="agent-step-head">
                <b>Answer</b>
              </div>
              <div className="agent-answer-text">{e.text}</div>
            </li>
          ),
        )}
      </ol>
    </section>
  );
});
