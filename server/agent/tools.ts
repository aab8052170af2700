/**
 * The tools of one agent node: flows (each call a child run) and the tools of configured
 * MCP servers, with the JSON Schema the model sees, argument checks and size-capped results.
 * A tool never throws into the loop: every failure becomes a ToolOutcome error that goes
 * back to the model.
 */
import type { Flow, FlowIO } from '../../shared';
import type { AgentConfig } from '../../shared/nodes/agent';
import { TOOL_NAME } from '../../shared/nodes/agent';
import { formatSchemaErrors, schemaValidator } from '../llm/json-output';
import { NodeError, type NodeContext } from '../runtime/types';
import type { McpToolInfo } from '../mcp/types';

export type ToolOutcome =
  | { ok: true; result: unknown; childRunId?: string }
  | { ok: false; error: { code: string; message: string }; childRunId?: string };

export interface AgentTool {
  /** The name the model sees. */
  name: string;
  kind: 'flow' | 'mcp';
  /** Flow id, or `server/tool` for MCP. */
  source: string;
  description: string;
  parameters: Record<string, unknown>;
  /** A person approves each call first (`requireApproval` in the node's config). */
  requireApproval?: boolean;
  invoke(
    args: Record<string, unknown>,
    o: { signal: AbortSignal; iteration: number; timeoutMs: number; callId?: string },
  ): Promise<ToolOutcome>;
}

/** An OpenAI-format tool definition (LangChain's bindTools converts it for every provider). */
export interface ToolSpec {
  type: 'function';
  function: { name: string; description: string; parameters: Record<string, unknown> };
}

const PORT_SCHEMAS: Record<string, Record<string, unknown>> = {
  string: { type: 'string' },
  number: { type: 'number' },
  boolean: { type: 'boolean' },
  json: {},
  any: {},
  messages: {
    type: 'array',
    items: {
      type: 'object',
      properties: { role: { type: 'string' }, content: { type: 'string' } },
      required: ['role', 'content'],
    },
  },
  documents: { type: 'array', items: { type: 'object' } },
};

/** A flow's declared inputs as a JSON Schema object (required = required without a default). */
export function flowArgumentSchema(inputs: FlowIO[]): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const io of inputs) {
    properties[io.name] = {
      ...PORT_SCHEMAS[io.type],
      ...(io.description ? { description: io.description } : {}),
      ...(io.default !== undefined ? { default: io.default } : {}),
    };
    if (io.required && io.default === undefined) required.push(io.name);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

/** A tool name the providers accept, from any string. */
export function safeToolName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  return s || 'tool';
}

/** Cut a tool result to `max` characters before it goes back to the model. */
export function capResult(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max);
  // never split a surrogate pair
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}\n…[truncated: ${text.length} characters in all, ${max} shown]`;
}

function errorOutcome(code: string, message: string, childRunId?: string): ToolOutcome {
  return { ok: false, error: { code, message }, ...(childRunId ? { childRunId } : {}) };
}

function flowTool(
  ctx: NodeContext<AgentConfig>,
  t: Extract<AgentConfig['tools'][number], { kind: 'flow' }>,
  flow: Flow,
): AgentTool {
  const runChild = ctx.runChild;
  return {
    name: t.name ?? t.flow,
    kind: 'flow',
    source: t.flow,
    description: t.description ?? (flow.name || `Runs the flow "${flow.id}"`),
    parameters: flowArgumentSchema(flow.inputs),
    async invoke(args, o) {
      if (!runChild) return errorOutcome('tool_unavailable', 'this runtime cannot start child runs');
      // o.signal already carries the call's deadline (the loop's toolTimeoutMs / time budget).
      const res = await runChild(t.flow, args, {
        iteration: o.iteration,
        signal: o.signal,
        ...(o.callId ? { key: `call-${o.callId}` } : {}),
      });
      if (res.status === 'succeeded') return { ok: true, result: res.outputs, childRunId: res.runId };
      const e = res.trace.error;
      return errorOutcome(
        e?.code ?? `run_${res.status}`,
        e ? `${e.nodeId ? `node "${e.nodeId}": ` : ''}${e.message}` : `the flow run ended ${res.status}`,
        res.runId,
      );
    },
  };
}

function mcpTool(ctx: NodeContext<AgentConfig>, server: string, info: McpToolInfo): AgentTool {
  const mcp = ctx.services.mcp!;
  return {
    name: safeToolName(info.name),
    kind: 'mcp',
    source: `${server}/${info.name}`,
    description: info.description ?? `${info.name} (MCP server ${server})`,
    parameters:
      info.inputSchema && typeof info.inputSchema === 'object' ? info.inputSchema : { type: 'object', properties: {} },
    async invoke(args, o) {
      try {
        const r = await mcp.callTool(server, info.name, args, { signal: o.signal, timeoutMs: o.timeoutMs });
        if (r.isError) return errorOutcome('tool_error', r.text || `the tool ${info.name} failed`);
        return { ok: true, result: r.structured ?? r.text };
      } catch (err) {
        if (o.signal.aborted) throw err;
        const ne = err instanceof NodeError ? err : new NodeError('mcp_error', (err as Error).message);
        return errorOutcome(ne.code, ne.message);
      }
    },
  };
}

/**
 * Resolve the node's tools. Configuration mistakes fail the node (a flow that does not
 * exist, a server that is not configured, two tools with one name); a configured MCP server
 * that is down only loses its tools (listed in `unavailable`), unless the node names them.
 */
export async function resolveTools(
  ctx: NodeContext<AgentConfig>,
): Promise<{ tools: AgentTool[]; unavailable: Array<{ server: string; message: string }> }> {
  const tools: AgentTool[] = [];
  const unavailable: Array<{ server: string; message: string }> = [];
  const { config } = ctx;
  for (const [i, t] of config.tools.entries()) {
    const path = `config.tools[${i}]`;
    if (t.kind === 'flow') {
      const flows = ctx.services.flows;
      if (!flows || !ctx.runChild)
        throw new NodeError('tool_unavailable', `flow tools need child runs, which this runtime does not offer`, {
          path,
        });
      const flow = await flows.get(t.flow);
      if (!flow) throw new NodeError('flow_not_found', `tools[${i}]: no flow "${t.flow}"`, { path: `${path}.flow` });
      tools.push({ ...flowTool(ctx, t, flow), ...(t.requireApproval ? { requireApproval: true } : {}) });
      continue;
    }
    const mcp = ctx.services.mcp;
    if (!mcp || !mcp.has(t.server)) {
      const names = mcp?.servers().map((s) => s.name) ?? [];
      throw new NodeError(
        'mcp_server_not_configured',
        `tools[${i}]: no MCP server "${t.server}" is configured (BRAID_MCP_CONFIG${names.length ? `; configured: ${names.join(', ')}` : ' is not set'}); a flow can only name a server the operator configured`,
        { path: `${path}.server` },
      );
    }
    let infos: McpToolInfo[];
    try {
      infos = await mcp.listTools(t.server, { signal: ctx.signal });
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const message = (err as Error).message;
      unavailable.push({ server: t.server, message });
      // Named tools stay on offer (calls report the outage to the model); the rest are unknown.
      infos = (t.tools ?? []).map((name) => ({ name, inputSchema: { type: 'object' } }));
    }
    if (t.tools) {
      const wanted = new Set(t.tools);
      const missing = t.tools.filter((n) => !infos.some((x) => x.name === n));
      if (missing.length && !unavailable.some((u) => u.server === t.server))
        throw new NodeError(
          'mcp_tool_not_found',
          `tools[${i}]: the MCP server "${t.server}" has no tool ${missing.map((m) => JSON.stringify(m)).join(', ')} (it has: ${infos.map((x) => x.name).join(', ') || 'none'})`,
          { path: `${path}.tools` },
        );
      // in the order the node lists them
      const listed = infos;
      infos = t.tools.filter((n) => wanted.has(n)).flatMap((n) => listed.filter((x) => x.name === n).slice(0, 1));
    }
    for (const info of infos)
      tools.push({ ...mcpTool(ctx, t.server, info), ...(t.requireApproval ? { requireApproval: true } : {}) });
  }
  const seen = new Map<string, AgentTool>();
  for (const tool of tools) {
    const other = seen.get(tool.name);
    if (other)
      throw new NodeError(
        'duplicate_tool',
        `two tools are named "${tool.name}" (${other.source} and ${tool.source}); rename a flow tool with "name" or pick MCP tools with "tools"`,
        { path: 'config.tools' },
      );
    if (!TOOL_NAME.test(tool.name))
      throw new NodeError('invalid_tool_name', `tool name "${tool.name}" must be 1–64 characters of A-Z a-z 0-9 _ -`, {
        path: 'config.tools',
      });
    seen.set(tool.name, tool);
  }
  return { tools, unavailable };
}

export function toolSpecs(tools: AgentTool[]): ToolSpec[] {
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: t.parameters },
  }));
}

/** Problems of arguments against a tool's schema (empty when valid or the schema cannot be compiled). */
export function argumentProblems(tool: AgentTool, args: unknown): string[] {
  let validate;
  try {
    validate = schemaValidator(tool.parameters, `tools.${tool.name}.parameters`);
  } catch {
    return []; // a schema ajv cannot compile: the tool itself checks its arguments
  }
  return validate(args) ? [] : formatSchemaErrors(validate.errors);
}
