/**
 * An agent node's body on the canvas: its model, its tools at a glance (flow tools by the
 * flow's name, MCP servers with the chosen tools or their tool count), its limits, and — in a
 * run — its current step.
 */
import { memo, useEffect } from 'react';
import { useFlowIndex } from '../store/flowIndex';
import { useMcp } from '../store/mcpStore';
import { useRun } from '../store/runStore';
import { agentProgressLabel, entriesFromSpan } from '../store/agentSteps';
import { Icon } from '../ui/Icon';

interface ToolCfg {
  kind?: unknown;
  flow?: unknown;
  name?: unknown;
  server?: unknown;
  tools?: unknown;
}

const MAX_SHOWN = 5;

function limitsLine(config: Record<string, unknown>): string {
  const budget = (config.budget ?? {}) as Record<string, unknown>;
  const parts = [`≤ ${typeof config.maxIterations === 'number' ? config.maxIterations : 8} steps`];
  if (typeof budget.maxTokens === 'number') parts.push(`${budget.maxTokens.toLocaleString()} tokens`);
  if (typeof budget.maxCostUsd === 'number') parts.push(`$${budget.maxCostUsd}`);
  if (typeof budget.maxDurationMs === 'number')
    parts.push(budget.maxDurationMs >= 1000 ? `${budget.maxDurationMs / 1000} s` : `${budget.maxDurationMs} ms`);
  if (config.onLimit === 'fail') parts.push('fail at limit');
  return parts.join(' · ');
}

function FlowToolLine({ t }: { t: ToolCfg }) {
  const flowId = typeof t.flow === 'string' ? t.flow : '';
  const flowName = useFlowIndex((s) => (flowId ? s.flows.find((f) => f.id === flowId)?.name : undefined));
  const loaded = useFlowIndex((s) => s.loaded);
  const name = typeof t.name === 'string' && t.name ? t.name : flowId;
  return (
    <li className="agent-tool-line" title={flowId ? `flow ${flowId}` : 'no flow chosen'}>
      <Icon name="workflow" size={11} />
      {flowId ? (
        <>
          <span className="mono">{name}</span>
          {flowName && flowName !== name ? <span className="muted"> {flowName}</span> : null}
          {loaded && !flowName ? <span className="agent-missing"> not found</span> : null}
        </>
      ) : (
        <span className="agent-missing">choose a flow</span>
      )}
    </li>
  );
}

function McpToolLine({ t }: { t: ToolCfg }) {
  const server = typeof t.server === 'string' ? t.server : '';
  const listing = useMcp((s) => s.servers.find((x) => x.name === server));
  const status = useMcp((s) => s.status);
  const chosen = Array.isArray(t.tools) ? (t.tools as unknown[]).map(String) : null;
  let what: string;
  if (chosen) what = chosen.join(', ') || 'no tools';
  else if (listing?.tools) what = `all ${listing.tools.length} tool${listing.tools.length === 1 ? '' : 's'}`;
  else what = 'all tools';
  const problem = status === 'loaded' && !listing ? 'not configured' : listing?.error ? 'unavailable' : undefined;
  return (
    <li className="agent-tool-line" title={listing?.error?.message ?? `MCP server ${server}`}>
      <Icon name="plug" size={11} />
      <span className="mono">{server || '?'}</span>
      <span className="muted">: {what}</span>
      {problem ? <span className="agent-missing"> {problem}</span> : null}
    </li>
  );
}

export const AgentBody = memo(function AgentBody({
  id,
  config,
}: {
  id: string;
  config: Record<string, unknown> | undefined;
}) {
  const c = config ?? {};
  const tools = (Array.isArray(c.tools) ? c.tools : []) as ToolCfg[];
  const usesMcp = tools.some((t) => t.kind === 'mcp');
  useEffect(() => {
    if (usesMcp) void useMcp.getState().load();
  }, [usesMcp]);
  const running = useRun((s) => s.nodeStatus[id] === 'running');
  // Live steps of the current run, else (a run opened from History) the steps in the span.
  const step = useRun((s) => {
    const span = s.spans[id];
    return agentProgressLabel(s.agentSteps[id] ?? (span ? entriesFromSpan(span) : undefined), running);
  });
  const model = typeof c.model === 'string' ? c.model : 'openai:gpt-4o-mini';
  return (
    <div className="bnode-body agent-body" data-testid={`agent-body-${id}`}>
      <div className="agent-model-line">
        <Icon name="bot" size={11} /> <span className="mono">{model}</span>
      </div>
      {tools.length === 0 ? (
        <div className="muted">no tools</div>
      ) : (
        <ul className="agent-tool-lines" aria-label="tools">
          {tools
            .slice(0, MAX_SHOWN)
            .map((t, i) => (t.kind === 'mcp' ? <McpToolLine key={i} t={t} /> : <FlowToolLine key={i} t={t} />))}
          {tools.length > MAX_SHOWN ? <li className="muted">+{tools.length - MAX_SHOWN} more</li> : null}
        </ul>
      )}
      <div className="agent-limits muted">{limitsLine(c)}</div>
      {step ? (
        <div className="bnode-progress" data-testid={`progress-${id}`}>
          {step}
        </div>
      ) : null}
    </div>
  );
});
