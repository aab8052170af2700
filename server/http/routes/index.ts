/**
 * Every route module, mounted in order. Domains add ONE line each (knowledge,
 * evaluation, deployment, monitoring…). A module's routes carry their full paths;
 * /api/** is behind the admin token and JSON-parsed by the app; other prefixes
 * (e.g. /v1/endpoints) do their own auth and then use `jsonBody()` themselves.
 */
import type { Request } from 'express';
import type { RouteModule } from '../context';
import { healthRoutes } from './health';
import { nodeTypesRoutes } from './node-types';
import { flowsRoutes } from './flows';
import { runsRoutes } from './runs';
import { tasksRoutes } from './tasks';
import { providersRoutes } from './providers';
import { knowledgeRoutes } from './knowledge';
import { deploymentsRoutes } from './deployments';
import { endpointsRoutes } from './endpoints';
import { openaiRoutes } from './openai';
import { metricsRoutes } from './metrics';
import { datasetsRoutes } from './datasets';
import { evaluationsRoutes } from './evaluations';
import { mcpRoutes } from './mcp';
import { mcpServerRoutes } from './mcp-server';

// Deployed endpoints and the OpenAI-compatible API come first, health checks right after:
// they are the hot path (/v1/…, no /api route can match them), and every router mounted
// before them is walked on each call.
export const routeModules: RouteModule[] = [
  endpointsRoutes,
  openaiRoutes,
  mcpServerRoutes,
  healthRoutes,
  nodeTypesRoutes,
  flowsRoutes,
  runsRoutes,
  tasksRoutes,
  providersRoutes,
  knowledgeRoutes,
  deploymentsRoutes,
  metricsRoutes,
  datasetsRoutes,
  evaluationsRoutes,
  mcpRoutes,
];

/**
 * The /api routes that take a body other than JSON (uploads: raw CSV/JSONL or multipart).
 * Every other body sent to the API must be JSON, or it is refused with 415.
 */
const RAW_BODY_ROUTES: ReadonlyArray<readonly [method: string, path: RegExp]> = [
  ['POST', /^\/api\/datasets\/?$/],
  ['POST', /^\/api\/datasets\/[^/]+\/versions\/?$/],
  ['POST', /^\/api\/knowledge-bases\/[^/]+\/documents\/?$/],
];

export function acceptsRawBody(req: Request): boolean {
  return RAW_BODY_ROUTES.some(([method, path]) => req.method === method && path.test(req.path));
}
