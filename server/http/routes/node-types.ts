import { z } from 'zod';
import { nodePorts, nodeTypes, type NodeTypeDefinition } from '../../../shared';
import type { PortSpec } from '../../../shared';
import type { RouteModule } from '../context';
import { createRouter } from '../context';

export interface NodeTypeInfo {
  type: string;
  title: string;
  category: string;
  icon: string;
  docs: string;
  editors: Record<string, string>;
  example?: unknown;
  configSchema: unknown;
  /** Ports of a node created from `example` (for the palette; real ports follow the config). */
  defaultPorts: { inputs: PortSpec[]; outputs: PortSpec[] };
}

function describe(def: NodeTypeDefinition): NodeTypeInfo {
  let configSchema: unknown;
  try {
    configSchema = z.toJSONSchema(def.config, { io: 'input', unrepresentable: 'any' });
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
    ...(def.example !== undefined ? { example: def.example } : {}),
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
    res.json({ nodeTypes: nodeTypeInfos() });
  });
  return r;
};
