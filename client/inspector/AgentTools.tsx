/**
 * The agent node's `tools` field (widget `agentTools`): flow tools picked from the flows
 * folder (with the arguments the model will see), and MCP servers picked from the operator's
 * configuration (GET /api/mcp/servers) with all or some of their tools.
 */
import { useEffect } from 'react';
import type { McpServerListing } from '../../shared/api/mcp';
import { useFlowIndex } from '../store/flowIndex';
import { useMcp } from '../store/mcpStore';
import { FlowPicker } from './Pickers';
import { Icon } from '../ui/Icon';

type FlowTool = { kind: 'flow'; flow: string; name?: string; description?: string };
type McpTool = { kind: 'mcp'; server: string; tools?: string[] };
type Tool = FlowTool | McpTool;

interface Props {
  value: unknown;
  onChange(v: unknown): void;
  /** Validation messages by dotted path (`tools.0.flow`). */
  errors: Record<string, string>;
  /** The field's dotted path (`tools`). */
  path: string;
}

function Err({ msg }: { msg: string | undefined }) {
  return msg ? (
    <div className="field-error" role="alert">
      {msg}
    </div>
  ) : null;
}

function FlowToolCard({
  t,
  i,
  set,
  remove,
  err,
}: {
  t: FlowTool;
  i: number;
  set(v: Tool): void;
  remove(): void;
  err(k: string): string | undefined;
}) {
  const info = useFlowIndex((s) => s.flows.find((f) => f.id === t.flow));
  const args = info?.inputs ?? [];
  const setOpt = (k: 'name' | 'description', v: string) => {
    const next: FlowTool = { ...t };
    if (v) next[k] = v;
    else delete next[k];
    set(next);
  };
  return (
    <div className="agent-tool-card" data-testid={`agent-tool-card-${i}`}>
      <div className="array-item-head">
        <span className="small">
          <Icon name="workflow" size={12} /> Flow tool
        </span>
        <button type="button" className="btn-icon" aria-label={`Remove tool ${i + 1}`} onClick={remove}>
          ×
        </button>
      </div>
      <FlowPicker value={t.flow} onChange={(flow) => set({ ...t, flow })} label={`tool ${i + 1} flow`} />
      <Err msg={err('flow')} />
      {info ? (
        <div className="field-help">
          Arguments:{' '}
          {args.length
            ? args
                .map((a) => `${a.name} (${a.type}${a.required && a.default === undefined ? ', required' : ''})`)
                .join(', ')
            : 'none'}{' '}
          → result: {(info.outputs ?? []).map((o) => o.name).join(', ') || 'nothing'}
        </div>
      ) : null}
      <label className="field">
        <span className="field-label">name the model sees</span>
        <input
          className="input mono"
          aria-label={`tool ${i + 1} name`}
          value={t.name ?? ''}
          placeholder={t.flow || 'the flow id'}
          onChange={(e) => setOpt('name', e.target.value)}
        />
      </label>
      <Err msg={err('name')} />
      <label className="field">
        <span className="field-label">description for the model</span>
        <textarea
          className="input"
          rows={2}
          aria-label={`tool ${i + 1} description`}
          value={t.description ?? ''}
          placeholder={info?.name ?? 'what the tool does'}
          onChange={(e) => setOpt('description', e.target.value)}
        />
      </label>
      <Err msg={err('description')} />
    </div>
  );
}

function McpToolCard({
  t,
  i,
  set,
  remove,
  err,
  servers,
}: {
  t: McpTool;
  i: number;
  set(v: Tool): void;
  remove(): void;
  err(k: string): string | undefined;
  servers: McpServerListing[];
}) {
  const listing = servers.find((s) => s.name === t.server);
  const offered = listing?.tools ?? (t.tools ?? []).map((name) => ({ name, description: undefined }));
  const chosen = t.tools;
  const toggle = (name: string, on: boolean) => {
    const cur = new Set(chosen ?? []);
    if (on) cur.add(name);
    else cur.delete(name);
    // keep the server's order
    set({ ...t, tools: offered.map((x) => x.name).filter((n) => cur.has(n)) });
  };
  return (
    <div className="agent-tool-card" data-testid={`agent-tool-card-${i}`}>
      <div className="array-item-head">
        <span className="small">
          <Icon name="plug" size={12} /> MCP server
        </span>
        <button type="button" className="btn-icon" aria-label={`Remove tool ${i + 1}`} onClick={remove}>
          ×
        </button>
      </div>
      <select
        className="input"
        aria-label={`tool ${i + 1} server`}
        data-testid="mcp-server-picker"
        value={t.server}
        onChange={(e) => set({ kind: 'mcp', server: e.target.value })}
      >
        {!t.server ? <option value="">Choose a server…</option> : null}
        {t.server && !listing ? <option value={t.server}>{t.server} (not configured)</option> : null}
        {servers.map((s) => (
          <option key={s.name} value={s.name}>
            {s.name} — {s.tools ? `${s.tools.length} tool${s.tools.length === 1 ? '' : 's'}` : 'unavailable'} (
            {s.transport === 'http' ? (s.origin ?? 'http') : 'stdio'})
          </option>
        ))}
      </select>
      <Err msg={err('server')} />
      {listing?.error ? (
        <div className="field-help agent-missing">
          {listing.error.code}: {listing.error.message}
        </div>
      ) : null}
      {t.server ? (
        <div className="agent-mcp-tools">
          <label className="check">
            <input
              type="radio"
              name={`mcp-mode-${i}`}
              checked={!chosen}
              onChange={() => set({ kind: 'mcp', server: t.server })}
            />{' '}
            All tools{listing?.tools ? ` (${listing.tools.length})` : ''}
          </label>
          <label className="check">
            <input
              type="radio"
              name={`mcp-mode-${i}`}
              checked={!!chosen}
              onChange={() => set({ ...t, tools: chosen ?? [] })}
            />{' '}
            Only these:
          </label>
          {chosen ? (
            <ul className="agent-mcp-tool-list">
              {offered.map((x) => (
                <li key={x.name}>
                  <label className="check" title={x.description ?? ''}>
                    <input
                      type="checkbox"
                      aria-label={`${t.server} tool ${x.name}`}
                      checked={chosen.includes(x.name)}
                      onChange={(e) => toggle(x.name, e.target.checked)}
                    />{' '}
                    <span className="mono">{x.name}</span>
                    {x.description ? <span className="muted small"> — {x.description}</span> : null}
                  </label>
                </li>
              ))}
            </ul>
          ) : null}
          <Err msg={err('tools')} />
        </div>
      ) : null}
    </div>
  );
}

export function AgentToolsEditor({ value, onChange, errors, path }: Props) {
  const tools = (Array.isArray(value) ? value : []) as Tool[];
  const servers = useMcp((s) => s.servers);
  const configured = useMcp((s) => s.configured);
  const mcpStatus = useMcp((s) => s.status);
  const mcpError = useMcp((s) => s.error);
  useEffect(() => {
    void useMcp.getState().load();
  }, []);
  const setAt = (i: number, v: Tool) => onChange(tools.map((x, j) => (j === i ? v : x)));
  const removeAt = (i: number) => onChange(tools.filter((_, j) => j !== i));
  const errAt = (i: number) => (k: string) =>
    errors[`${path}.${i}.${k}`] ?? (k === 'flow' ? errors[`${path}.${i}`] : undefined);
  const unusedServer = servers.find((s) => !tools.some((t) => t.kind === 'mcp' && t.server === s.name));
  return (
    <div className="agent-tools" data-testid="agent-tools">
      {tools.length === 0 ? (
        <p className="muted small">No tools yet: the agent can only answer from its instructions.</p>
      ) : null}
      {tools.map((t, i) =>
        t.kind === 'mcp' ? (
          <McpToolCard
            key={i}
            t={t}
            i={i}
            set={(v) => setAt(i, v)}
            remove={() => removeAt(i)}
            err={errAt(i)}
            servers={servers}
          />
        ) : (
          <FlowToolCard key={i} t={t} i={i} set={(v) => setAt(i, v)} remove={() => removeAt(i)} err={errAt(i)} />
        ),
      )}
      <div className="row">
        <button
          type="button"
          className="btn btn-small"
          data-testid="add-flow-tool"
          onClick={() => onChange([...tools, { kind: 'flow', flow: '' }])}
        >
          + Flow tool
        </button>
        <button
          type="button"
          className="btn btn-small"
          data-testid="add-mcp-tool"
          disabled={!unusedServer}
          title={
            !configured
              ? 'No MCP servers: the operator declares them in the file named by BRAID_MCP_CONFIG'
              : !unusedServer
                ? 'Every configured MCP server is already a tool of this agent'
                : 'Give the agent the tools of a configured MCP server'
          }
          onClick={() => unusedServer && onChange([...tools, { kind: 'mcp', server: unusedServer.name }])}
        >
          + MCP server
        </button>
        {configured ? (
          <button
            type="button"
            className="btn btn-small"
            title="List the servers' tools again"
            disabled={mcpStatus === 'loading'}
            onClick={() => void useMcp.getState().load(true)}
          >
            Refresh tools
          </button>
        ) : null}
      </div>
      {mcpStatus === 'loaded' && !configured ? (
        <div className="field-help">MCP servers: none configured (BRAID_MCP_CONFIG).</div>
      ) : null}
      {mcpStatus === 'failed' ? <div className="field-error">MCP servers could not be listed: {mcpError}</div> : null}
    </div>
  );
}
