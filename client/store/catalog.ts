import { create } from 'zustand';
import { z } from 'zod';
import { nodeTypes as registry, nodePorts, nodePreview, type ResolvedPorts } from '../../shared/nodes/registry';
import type { FlowIO } from '../../shared/flow/schema';
import { api, type JsonSchema, type NodeTypeInfo, type ProviderInfo } from '../api/http';
import type { NodeData } from './convert';
import { flowResolver, useFlowIndex } from './flowIndex';

/** Node types (from GET /api/node-types) and providers (GET /api/providers). */
export interface CatalogState {
  nodeTypes: NodeTypeInfo[];
  byType: Record<string, NodeTypeInfo>;
  providers: ProviderInfo[];
  loaded: boolean;
  error: string | null;
  load(): Promise<void>;
}

/** The same declarations, read from the shared registry (used only when the API is unreachable). */
function localNodeTypes(): NodeTypeInfo[] {
  return Object.values(registry).map((d) => ({
    type: d.type,
    title: d.title,
    category: d.category,
    icon: d.icon,
    docs: d.docs,
    editors: d.editors ?? {},
    example: d.example as Record<string, unknown> | undefined,
    configSchema: z.toJSONSchema(d.config, { io: 'input', unrepresentable: 'any' }) as JsonSchema,
    defaultPorts: nodePorts(d.type, d.example ?? {}, { flow: { inputs: [], outputs: [] } }),
  }));
}

export const useCatalog = create<CatalogState>()((set, get) => ({
  nodeTypes: [],
  byType: {},
  providers: [],
  loaded: false,
  error: null,
  async load() {
    if (get().loaded) return;
    let list: NodeTypeInfo[];
    let error: string | null = null;
    try {
      list = await api.nodeTypes();
    } catch (err) {
      error = `Node types could not be loaded from the server (${(err as Error).message}); showing the built-in list.`;
      list = localNodeTypes();
    }
    let providers: ProviderInfo[] = [];
    try {
      providers = await api.providers();
    } catch {
      providers = [];
    }
    set({ nodeTypes: list, byType: Object.fromEntries(list.map((t) => [t.type, t])), providers, loaded: true, error });
  },
}));

export const CATEGORY_ORDER = ['Flow', 'Models', 'Knowledge', 'Tools', 'Guardrails', 'Logic'];

const portCache = new WeakMap<NodeData, { inputs: FlowIO[]; outputs: FlowIO[]; index: object; ports: ResolvedPorts }>();

/** Node types whose ports come from another flow (they follow the flow index). */
export const CALLS_FLOW: ReadonlySet<string> = new Set(['subflow', 'map', 'loop']);

/** A node's ports from its type declaration and config, cached per data object. */
export function portsOf(data: NodeData, io: { inputs: FlowIO[]; outputs: FlowIO[] }): ResolvedPorts {
  const hit = portCache.get(data);
  const usesIo = data.type === 'input' || data.type === 'output';
  const index = useFlowIndex.getState().byId;
  if (
    hit &&
    (!usesIo || (hit.inputs === io.inputs && hit.outputs === io.outputs)) &&
    (!CALLS_FLOW.has(data.type) || hit.index === index)
  )
    return hit.ports;
  const ports = nodePorts(data.type, data.config ?? {}, { flow: io, flows: flowResolver() });
  portCache.set(data, { inputs: io.inputs, outputs: io.outputs, index, ports });
  return ports;
}

const previewCache = new WeakMap<NodeData, { model?: string; text?: string }>();

/** The model and the few lines a canvas node shows (cached per data object: not per drag frame). */
export function previewOf(data: NodeData): { model?: string; text?: string } {
  let hit = previewCache.get(data);
  if (!hit) {
    hit = nodePreview(data.type, data.config);
    previewCache.set(data, hit);
  }
  return hit;
}
