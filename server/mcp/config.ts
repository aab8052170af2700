/**
 * The operator's MCP servers: the JSON file named by BRAID_MCP_CONFIG, in the `mcpServers`
 * format of Claude Desktop and Cursor:
 *
 *   { "mcpServers": {
 *       "files":  { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv/docs"], "env": {} },
 *       "tickets": { "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer …" } } } }
 *
 * Read once at boot; a problem is a ConfigError naming the file and the path inside it.
 * Only this file can start a process or name a URL; a flow names a server by its key.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../config';
import { MCP_SERVER_NAME } from '../../shared/nodes/agent';

const stdioServer = z.object({
  type: z.literal('stdio').optional(),
  command: z.string().min(1, 'must name the program to start'),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
});

const httpServer = z.object({
  type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
  headers: z.record(z.string(), z.string()).default({}),
});

const serverSchema = z.union([stdioServer, httpServer]);

const fileSchema = z.object({
  mcpServers: z.record(
    z.string().regex(MCP_SERVER_NAME, 'server names: letters, digits, _ . - (max 64)'),
    serverSchema,
  ),
});

export type McpStdioServer = z.output<typeof stdioServer> & { name: string; transport: 'stdio' };
export type McpHttpServer = z.output<typeof httpServer> & { name: string; transport: 'http' };
export type McpServerConfig = McpStdioServer | McpHttpServer;

/** Parse an `mcpServers` document (already JSON-parsed); `source` names it in errors. */
export function parseMcpConfig(doc: unknown, source: string): McpServerConfig[] {
  const res = fileSchema.safeParse(doc);
  if (!res.success) {
    const lines = res.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid MCP configuration in ${source} (BRAID_MCP_CONFIG):\n${lines.join('\n')}`);
  }
  return Object.entries(res.data.mcpServers).map(([name, s]) =>
    'command' in s ? { ...s, name, transport: 'stdio' as const } : { ...s, name, transport: 'http' as const },
  );
}

/** Read and parse the file named by BRAID_MCP_CONFIG. */
export function loadMcpConfig(file: string): McpServerConfig[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      `cannot read BRAID_MCP_CONFIG file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new ConfigError(`BRAID_MCP_CONFIG file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseMcpConfig(doc, file);
}
