/**
 * `GET /api/mcp/servers[?refresh=1]`: the MCP servers of BRAID_MCP_CONFIG with their tools,
 * for the agent node's inspector. A server that cannot be reached is listed with its error.
 * Names and origins only: never commands, arguments, environments or headers.
 */
import type { McpServerListing, McpServersResponse } from '../../../shared/api/mcp';
import { NodeError } from '../../runtime/types';
import type { RouteModule } from '../context';
import { createRouter } from '../context';

export const mcpRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  r.get('/api/mcp/servers', async (req, res) => {
    const mcp = ctx.services.mcp;
    if (!mcp) {
      res.json({ configured: false, servers: [] } satisfies McpServersResponse);
      return;
    }
    const refresh = req.query.refresh === '1' || req.query.refresh === 'true';
    const servers = await Promise.all(
      mcp.servers().map(async (s): Promise<McpServerListing> => {
        try {
          return { ...s, tools: await mcp.listTools(s.name, { refresh }) };
        } catch (err) {
          const ne = err instanceof NodeError ? err : new NodeError('mcp_error', (err as Error).message);
          return { ...s, error: { code: ne.code, message: ne.message } };
        }
      }),
    );
    res.json({ configured: true, servers } satisfies McpServersResponse);
  });
  return r;
};
