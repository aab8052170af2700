/**
 * Braid as an MCP client (official @modelcontextprotocol/sdk): one connection per server
 * configured in BRAID_MCP_CONFIG, opened on first use.
 *
 * - stdio servers are started lazily; a process that dies is started again on the next use;
 *   `close()` (app close) stops every process.
 * - Streamable HTTP servers are reached through the SSRF guard (server/mcp/http-fetch.ts).
 * - Tool lists are cached for `toolsTtlMs` and dropped on a `tools/list_changed` notification.
 * - Every request has a deadline; a server that is down or times out is a NodeError
 *   (`mcp_unavailable`, `mcp_timeout`, `mcp_error`) that the agent turns into a tool error.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Resolver } from '../net/guarded-fetch';
import { NodeError } from '../runtime/types';
import type { McpServerConfig } from './config';
import { guardedStreamFetch } from './http-fetch';
import type { McpCallResult, McpServerSummary, McpToolInfo, McpTools } from './types';

export interface McpClientOptions {
  /** BRAID_HTTP_ALLOW_HOSTS: hosts that may resolve to private addresses. */
  allowHosts: readonly string[];
  resolver?: Resolver;
  /** Connect and list deadline, ms (default 10 000). */
  connectTimeoutMs?: number;
  /** How long a tool list is trusted, ms (default 60 000). */
  toolsTtlMs?: number;
  /** Lines a stdio server writes to stderr (default: dropped). */
  onStderr?: (server: string, line: string) => void;
}

interface Entry {
  def: McpServerConfig;
  client?: Client;
  connecting?: Promise<Client>;
  tools?: { list: McpToolInfo[]; at: number };
}

function contentText(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((c: { type?: string; text?: string; resource?: { uri?: string; text?: string }; mimeType?: string }) => {
      if (c.type === 'text') return c.text ?? '';
      if (c.type === 'resource') return c.resource?.text ?? `[resource ${c.resource?.uri ?? ''}]`;
      return `[${c.type ?? 'content'}${c.mimeType ? ` ${c.mimeType}` : ''}]`;
    })
    .join('\n');
}

export class McpClientRegistry implements McpTools {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(
    servers: McpServerConfig[],
    private readonly opts: McpClientOptions,
  ) {
    for (const def of servers) this.entries.set(def.name, { def });
  }

  servers(): McpServerSummary[] {
    return [...this.entries.values()].map(({ def }) =>
      def.transport === 'http'
        ? { name: def.name, transport: 'http', origin: new URL(def.url).origin }
        : { name: def.name, transport: 'stdio' },
    );
  }

  has(server: string): boolean {
    return this.entries.has(server);
  }

  private entry(server: string): Entry {
    const e = this.entries.get(server);
    if (!e) throw new NodeError('mcp_server_not_configured', `no MCP server "${server}" is configured`);
    return e;
  }

  private fail(server: string, err: unknown, what: string): NodeError {
    if (err instanceof NodeError) return err;
    if (err instanceof McpError && err.code === ErrorCode.RequestTimeout)
      return new NodeError('mcp_timeout', `MCP server "${server}": ${what} timed out`);
    if (err instanceof McpError && err.code !== ErrorCode.ConnectionClosed)
      return new NodeError('mcp_error', `MCP server "${server}": ${err.message}`);
    return new NodeError('mcp_unavailable', `MCP server "${server}" is unavailable: ${(err as Error)?.message ?? err}`);
  }

  private async connect(server: string): Promise<Client> {
    if (this.closed) throw new NodeError('mcp_unavailable', 'the MCP client is closed');
    const e = this.entry(server);
    if (e.client) return e.client;
    if (e.connecting) return e.connecting;
    const def = e.def;
    e.connecting = (async () => {
      const transport =
        def.transport === 'stdio'
          ? new StdioClientTransport({
              command: def.command,
              args: def.args,
              env: def.env,
              ...(def.cwd ? { cwd: def.cwd } : {}),
              stderr: 'pipe',
            })
          : new StreamableHTTPClientTransport(new URL(def.url), {
              requestInit: { headers: def.headers },
              fetch: guardedStreamFetch({
                allowHosts: this.opts.allowHosts,
                ...(this.opts.resolver ? { resolver: this.opts.resolver } : {}),
              }),
            });
      if (transport instanceof StdioClientTransport) {
        transport.stderr?.on('data', (b: Buffer) => {
          for (const line of b.toString('utf8').split('\n')) if (line.trim()) this.opts.onStderr?.(server, line);
        });
      }
      const client = new Client({ name: 'braid', version: '1.0.0' });
      client.onclose = () => {
        // A process that died or a connection that closed: start again on next use.
        if (e.client === client) {
          e.client = undefined;
          e.tools = undefined;
        }
      };
      client.onerror = () => undefined; // surfaced by the failing request itself
      try {
        await client.connect(transport, { timeout: this.opts.connectTimeoutMs ?? 10_000 });
      } catch (err) {
        await client.close().catch(() => undefined);
        throw this.fail(server, err, 'connecting');
      }
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        e.tools = undefined;
      });
      if (this.closed) {
        await client.close().catch(() => undefined);
        throw new NodeError('mcp_unavailable', 'the MCP client is closed');
      }
      e.client = client;
      return client;
    })().finally(() => {
      e.connecting = undefined;
    });
    return e.connecting;
  }

  async listTools(server: string, o: { signal?: AbortSignal; refresh?: boolean } = {}): Promise<McpToolInfo[]> {
    const e = this.entry(server);
    const ttl = this.opts.toolsTtlMs ?? 60_000;
    if (!o.refresh && e.tools && Date.now() - e.tools.at < ttl) return e.tools.list;
    const client = await this.connect(server);
    const list: McpToolInfo[] = [];
    try {
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor ? { cursor } : undefined, {
          timeout: this.opts.connectTimeoutMs ?? 10_000,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        for (const t of page.tools)
          list.push({
            name: t.name,
            ...(t.description ? { description: t.description } : {}),
            inputSchema: t.inputSchema as Record<string, unknown>,
          });
        cursor = page.nextCursor;
      } while (cursor && list.length < 10_000);
    } catch (err) {
      if (o.signal?.aborted) throw new NodeError('cancelled', `listing the tools of "${server}" was cancelled`);
      throw this.fail(server, err, 'listing tools');
    }
    e.tools = { list, at: Date.now() };
    return list;
  }

  async callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    o: { signal: AbortSignal; timeoutMs: number },
  ): Promise<McpCallResult> {
    const client = await this.connect(server);
    try {
      const r = await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: o.signal,
        timeout: o.timeoutMs,
      });
      const structured = (r as { structuredContent?: Record<string, unknown> }).structuredContent;
      return {
        isError: r.isError === true,
        text: contentText(r.content),
        ...(structured ? { structured } : {}),
      };
    } catch (err) {
      if (o.signal.aborted) throw new NodeError('cancelled', `the MCP call ${server}/${tool} was cancelled`);
      throw this.fail(server, err, `calling ${tool}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        const c = e.client ?? (await e.connecting?.catch(() => undefined));
        e.client = undefined;
        await c?.close().catch(() => undefined);
      }),
    );
  }
}
