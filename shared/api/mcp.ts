/** `GET /api/mcp/servers`: the operator's MCP servers and their tools (for the agent inspector). */
export interface McpServerListing {
  name: string;
  transport: 'stdio' | 'http';
  /** HTTP servers: the origin only. */
  origin?: string;
  /** Present when the server answered. */
  tools?: Array<{ name: string; description?: string; inputSchema: Record<string, unknown> }>;
  /** Why the tools could not be listed (server down, refused by the SSRF guard…). */
  error?: { code: string; message: string };
}

export interface McpServersResponse {
  /** False when BRAID_MCP_CONFIG is not set. */
  configured: boolean;
  servers: McpServerListing[];
}
