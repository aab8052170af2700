/**
 * What the runtime sees of the operator's MCP servers (BRAID_MCP_CONFIG): names, their
 * tools, and tool calls. The client side lives in server/mcp/client.ts.
 */

export interface McpToolInfo {
  name: string;
  description?: string;
  /** The tool's JSON Schema for its arguments (an object schema). */
  inputSchema: Record<string, unknown>;
}

export interface McpCallResult {
  /** The server said the call failed (`isError`). */
  isError: boolean;
  /** Text of the result's content blocks (other blocks summarised). */
  text: string;
  /** The tool's structured result, when it gives one. */
  structured?: Record<string, unknown>;
}

export interface McpServerSummary {
  name: string;
  transport: 'stdio' | 'http';
  /** For http servers: the origin only (no path, no credentials). */
  origin?: string;
}

/** MCP servers a run may use: only those the operator configured, by name. */
export interface McpTools {
  servers(): McpServerSummary[];
  has(server: string): boolean;
  /** The server's tools (cached; refreshed after `toolsTtlMs` or a list_changed notification). */
  listTools(server: string, opts?: { signal?: AbortSignal; refresh?: boolean }): Promise<McpToolInfo[]>;
  /** Call a tool under a deadline; throws NodeError (`mcp_unavailable`, `mcp_timeout`, `mcp_error`, `cancelled`). */
  callTool(
    server: string,
    tool: string,
    args: Record<string, unknown>,
    opts: { signal: AbortSignal; timeoutMs: number },
  ): Promise<McpCallResult>;
  /** Close every connection and stop every process. */
  close(): Promise<void>;
}
