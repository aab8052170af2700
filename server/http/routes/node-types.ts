import { z } from 'zod';
import { nodePorts, nodeTypes, type NodeTypeDefinition } from '../../../shared';
import type { JsonSchema, NodeTypeInfo, NodeTypesResponse } from '../../../shared/api/node-types';
import type { RouteModule } from '../context';
import { createRouter } from '../context';

function describe(def: NodeTypeDefinition): NodeTypeInfo {
  let configSchema: JsonSchema;
  try {
    configSchema = z.toJSONSchema(def.config, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch (err) {
    configSchema = { description: `schema not representable: ${(err as Error).message}` };
  }
  const ports = nodePorts(def.type, def.example ?? {}, { flow: { inputs: [], outputs: [] } });
  return {
    type: def.type,
    title: def.title,
    category: def.category,
    icon: def.icon,
    docs: def.docs,
    editors: def.editors ?? {},
    ...(def.example !== undefined ? { example: def.example as Record<string, unknown> } : {}),
    configSchema,
    defaultPorts: ports,
  };
}

let cached: NodeTypeInfo[] | undefined;
/** The registry as JSON (computed once: it is static). */
export function nodeTypeInfos(): NodeTypeInfo[] {
  cached ??= Object.values(nodeTypes).map((d) => describe(d as unknown as NodeTypeDefinition));
  return cached;
}

export const nodeTypesRoutes: RouteModule = () => {
  const r = createRouter();
  r.get('/api/node-types', (_req, res) => {
    res.json({ nodeTypes: nodeTypeInfos() } satisfies NodeTypesResponse);
  });
  return r;
};
