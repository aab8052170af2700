/**
 * `GET /api/node-types`: the node registry as JSON, for the palette and the inspector.
 * Built by server/http/routes/node-types.ts from shared/nodes/; read by client/store/catalog.ts.
 */
import type { FieldWidget, NodeTypeDefinition } from '../nodes/define';
import type { PortSpec } from '../ports';

/** The subset of JSON Schema the inspector understands (a node's config schema). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  title?: string;
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: boolean | JsonSchema;
  /** The widget the node declaration asks for (`.meta({ widget })`). */
  widget?: FieldWidget;
  /** Show the field only while these sibling fields have these values (`.meta({ showWhen })`). */
  showWhen?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface NodeTypeInfo {
  type: string;
  title: string;
  category: string;
  icon: string;
  docs: string;
  /** Config fields edited in Monaco, by language. */
  editors: NonNullable<NodeTypeDefinition['editors']>;
  /** The config of a new node from the palette. */
  example?: Record<string, unknown>;
  /** JSON Schema of the node's config (input side: defaults are optional). */
  configSchema: JsonSchema;
  /** Ports of a node created from `example` (for the palette; real ports follow the config). */
  defaultPorts: { inputs: PortSpec[]; outputs: PortSpec[] };
}

export interface NodeTypesResponse {
  nodeTypes: NodeTypeInfo[];
}
