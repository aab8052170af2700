import type { z } from 'zod';
import type { PortSpec } from '../ports';
import type { FlowIO } from '../flow/schema';

/** A flow's declared inputs and outputs: what another flow sees of it. */
export interface FlowInterface {
  inputs: FlowIO[];
  outputs: FlowIO[];
}

/** What a node type's port functions may look at besides its own config. */
export interface PortContext {
  /** The flow's declared inputs and outputs (used by the input and output nodes). */
  flow: FlowInterface;
  /**
   * Other flows' declared inputs and outputs, by flow id (subflow, map and loop nodes take
   * their ports from the flow they run). Undefined, or undefined for an id: unknown flow.
   */
  flows?: (id: string) => FlowInterface | undefined;
}

/** A problem a node type finds in its own (parsed) config, beyond what its zod schema can say. */
export interface NodeConfigProblem {
  code: 'unknown_flow' | 'invalid_config';
  /** Path inside the node's config, e.g. `['flow']`. */
  path: Array<string | number>;
  message: string;
}

/**
 * Widgets a config field may ask the inspector for, declared on the field itself with zod's
 * `.meta({ widget })` (it reaches the client in the node type's JSON Schema as `widget`):
 * `model` (provider:model picker), `flow` (another flow of the folder), `knowledgeBase`,
 * `agentTools` (an agent's flow and MCP tools, with flow, server and tool pickers),
 * `formSchema` (the fields of a form a person fills in, a JSON Schema object), `duration`
 * (milliseconds, edited as an amount and a unit).
 *
 * A field may also say when the inspector shows it, `.meta({ showWhen: { kind: 'input' } })`:
 * only while each named sibling field has that value (its default counts).
 */
export type FieldWidget = 'model' | 'flow' | 'knowledgeBase' | 'agentTools' | 'formSchema' | 'duration';

export type NodeCategory = 'Flow' | 'Models' | 'Knowledge' | 'Tools' | 'Guardrails' | 'Logic';

/**
 * One declaration per node type: metadata, config schema (with defaults) and ports as
 * functions of the (parsed) config. The server's executor and the client's inspector
 * hang off this declaration; nothing else describes a node type.
 */
export interface NodeTypeDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  title: string;
  category: NodeCategory;
  /** A short icon name (the canvas maps it to a glyph). */
  icon: string;
  /** One paragraph of user docs; `docs/nodes.md` is generated from it. */
  docs: string;
  config: S;
  inputs: (config: z.output<S>, ctx: PortContext) => PortSpec[];
  outputs: (config: z.output<S>, ctx: PortContext) => PortSpec[];
  /**
   * Config fields that hold code-like text the inspector edits in Monaco, with the
   * language to use (e.g. `{ code: 'javascript' }`). Dotted paths address nested fields.
   */
  editors?: Record<string, 'mustache' | 'javascript' | 'json' | 'jsonata'>;
  /**
   * Config fields that are mustache templates but not listed as `mustache` in `editors`
   * (dotted paths; arrays are walked; for a record, its keys and values are templates).
   * Validation checks their syntax; the `mustache` editor fields are checked too.
   */
  templates?: string[];
  /**
   * Flows this node runs (subflow, map, loop…), each with the config path that names it:
   * the flow loader builds the closure of referenced flows and finds cross-flow cycles from it.
   */
  flowRefs?: (config: z.output<S>) => Array<{ flow: string; path: Array<string | number> }>;
  /**
   * Timeout of a node of this type that sets no `timeoutMs`, in ms; 0 for none (nodes that
   * wait on child runs, whose own nodes have timeouts). Default: the server's node timeout.
   */
  defaultTimeoutMs?: number;
  /** Checks of the config that need the port context (e.g. the referenced flow exists). */
  check?: (config: z.output<S>, ctx: PortContext) => NodeConfigProblem[];
  /**
   * A few lines that tell this node apart on the canvas (a prompt's templates, an
   * expression, a URL): plain text; the canvas shows the first lines.
   */
  preview?: (config: z.output<S>) => string;
  /** Example config shown in docs and used by the palette when a node is created. */
  example?: z.input<S>;
}

export function defineNodeType<S extends z.ZodType>(def: NodeTypeDefinition<S>): NodeTypeDefinition<S> {
  return def;
}
