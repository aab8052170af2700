/**
 * Deployments served as MCP tools (`POST /v1/mcp`, Streamable HTTP, stateless). A caller
 * authenticates with a deployment API key; its tools are every deployment that key may
 * call — a key belongs to one deployment, so one tool named by the slug. The tool's
 * argument schema is the flow's declared inputs, its result the flow's outputs (as
 * `structuredContent` and as JSON text). Calls run through EndpointRuntime.invoke, so they
 * get the deployment's timeout, rate limit, usage accounting and request log (`api: "mcp"`).
 *
 * The low-level SDK `Server` is used because the schemas are JSON Schema built at run
 * time, not zod shapes.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { flowArgumentSchema } from '../agent/tools';
import type { EndpointRuntime } from './endpoint';
import { DeploymentError } from './errors';
import type { KeyRecord } from './store';

function toolError(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/** An MCP server for one authenticated key; `signal` aborts runs when the HTTP client goes away. */
export function deploymentMcpServer(endpoints: EndpointRuntime, key: KeyRecord, signal: AbortSignal): Server {
  const server = new Server({ name: 'braid', version: '1.0.0' }, { capabilities: { tools: {} } });

  server.setRequestHandler(ListToolsRequestSchema, async () => {
    const { deployment, version } = await endpoints.resolve(key.slug);
    const flow = version.flow;
    const tool: Tool = {
      name: deployment.slug,
      title: flow.name,
      description:
        (flow as { description?: string }).description ??
        `${flow.name} (Braid deployment ${deployment.slug}, v${version.version})`,
      inputSchema: flowArgumentSchema(flow.inputs) as Tool['inputSchema'],
    };
    return { tools: [tool] };
  });

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    if (req.params.name !== key.slug)
      return toolError(`unknown tool "${req.params.name}"; this key may call "${key.slug}"`);
    const controller = new AbortController();
    const abort = (): void => controller.abort(new Error('client disconnected'));
    signal.addEventListener('abort', abort, { once: true });
    extra.signal.addEventListener('abort', abort, { once: true });
    try {
      const t = await endpoints.resolve(key.slug);
      await endpoints.rateLimit(key, t.deployment.settings);
      const out = await endpoints.invoke(t, req.params.arguments ?? {}, { api: 'mcp', key, controller });
      const only = Object.values(out.outputs);
      const text = only.length === 1 && typeof only[0] === 'string' ? only[0] : JSON.stringify(out.outputs);
      return {
        content: [{ type: 'text', text }],
        structuredContent: out.outputs,
        _meta: { traceId: out.traceId, usage: out.usage },
      };
    } catch (err) {
      if (err instanceof DeploymentError) {
        const trace = (err.details as { traceId?: string } | undefined)?.traceId;
        return toolError(`${err.code}: ${err.message}${trace ? ` (traceId ${trace})` : ''}`);
      }
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
      extra.signal.removeEventListener('abort', abort);
    }
  });
  return server;
}
