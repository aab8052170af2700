/**
 * `POST /v1/mcp`: deployments as MCP tools over Streamable HTTP (stateless: no session, so
 * GET and DELETE answer 405). Authorization: `Bearer <deployment API key>`; the key is
 * checked before anything else, exactly as for /v1/endpoints (401 missing/unknown/revoked).
 * See server/deployment/mcp-server.ts and docs/agents.md.
 */
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { deploymentMcpServer } from '../../deployment/mcp-server';
import { deploymentRuntime } from '../../deployment/runtime';
import { DeploymentError } from '../../deployment/errors';
import { createRouter, type RouteModule } from '../context';
import { applyCors, disconnectController, handle, parseBody, preflight } from './endpoints';

export const mcpServerRoutes: RouteModule = (ctx) => {
  const r = createRouter();
  const rt = () => deploymentRuntime(ctx);

  r.options(
    '/v1/mcp',
    handle(async (req, res) => {
      // A preflight carries no key, so no deployment's allow-list applies: no CORS grant.
      preflight(res, req.get('origin'), false);
    }),
  );

  r.post(
    '/v1/mcp',
    handle(async (req, res) => {
      const { endpoints } = rt();
      const key = await endpoints.authenticate(req.get('authorization'), undefined);
      const d = await endpoints.deployment(key.slug);
      applyCors(req, res, d.settings.corsOrigins);
      const body = await parseBody(req, res, d.settings.maxBodyBytes);
      const controller = disconnectController(res);
      const server = deploymentMcpServer(endpoints, key, controller.signal);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    }),
  );

  for (const method of ['get', 'delete'] as const) {
    r[method](
      '/v1/mcp',
      handle(async () => {
        throw new DeploymentError(405, 'method_not_allowed', 'this MCP endpoint is stateless: use POST', undefined, {
          Allow: 'POST, OPTIONS',
        });
      }),
    );
  }
  return r;
};
