import { z } from 'zod';
import { PORT_TYPES } from '../ports';

export const CURRENT_SCHEMA_VERSION = 1;

/** Ids of flows, nodes, inputs and outputs: lower-case, safe in URLs and file names. */
export const SAFE_ID = /^[a-z0-9][a-z0-9_-]*$/;
/**
 * Names of flow inputs/outputs and ports: usable as template variables, never `__proto__`,
 * `constructor` or `prototype` (same as SAFE_VARIABLE in shared/template.ts).
 */
export const SAFE_NAME = /^(?!(?:__proto__|constructor|prototype)$)[A-Za-z_][A-Za-z0-9_]*$/;

export const safeId = z
  .string()
  .max(128)
  .regex(SAFE_ID, 'must match [a-z0-9][a-z0-9_-]* (lower-case letters, digits, "-" and "_")');

export const portType = z.enum(PORT_TYPES);

export const flowIOSchema = z
  .object({
    name: z
      .string()
      .max(128)
      .regex(
        SAFE_NAME,
        'must be a valid variable name ([A-Za-z_][A-Za-z0-9_]*) other than __proto__, constructor or prototype',
      ),
    type: portType.default('string'),
    required: z.boolean().optional(),
    description: z.string().optional(),
    default: z.unknown().optional(),
  })
  .strict();
export type FlowIO = z.output<typeof flowIOSchema>;

export const positionSchema = z.object({ x: z.number().finite(), y: z.number().finite() }).strict();

export const retrySchema = z
  .object({
    /** Extra attempts after the first (0 = no retry). */
    max: z.number().int().min(0).max(10).default(2),
    /** Base delay of the exponential backoff, in ms. */
    baseMs: z.number().int().min(0).max(60_000).default(500),
  })
  .strict();

export const flowNodeSchema = z
  .object({
    id: safeId,
    type: z.string().min(1),
    title: z.string().max(200).optional(),
    position: positionSchema,
    /** The node's own settings; validated against its node type's config schema. */
    config: z.record(z.string(), z.unknown()).optional(),
    /** Literal values for input ports that are not connected. */
    values: z.record(z.string(), z.unknown()).optional(),
    /** Per-node timeout in ms (default: the node type's, usually 60 s). */
    timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
    retry: retrySchema.optional(),
    notes: z.string().optional(),
  })
  .strict();
export type FlowNode = z.output<typeof flowNodeSchema>;

export const flowEdgeSchema = z
  .object({
    source: z.string(),
    sourcePort: z.string(),
    target: z.string(),
    targetPort: z.string(),
  })
  .strict();
export type FlowEdge = z.output<typeof flowEdgeSchema>;

/** Colours a sticky note may have (the canvas maps each to a light and a dark shade). */
export const NOTE_COLORS = ['yellow', 'blue', 'green', 'pink', 'purple', 'gray'] as const;
export type NoteColor = (typeof NOTE_COLORS)[number];

export const noteSizeSchema = z
  .object({
    width: z.number().finite().min(60).max(4000),
    height: z.number().finite().min(40).max(4000),
  })
  .strict();

/** A sticky note on the canvas: text that explains the flow; it takes no part in runs. */
export const flowNoteSchema = z
  .object({
    id: safeId,
    position: positionSchema,
    size: noteSizeSchema,
    /** Plain text; lines starting with `# `, `- ` and `**bold**` are shown as such. */
    text: z.string().max(20_000),
    color: z.enum(NOTE_COLORS).default('yellow'),
  })
  .strict();
export type FlowNote = z.output<typeof flowNoteSchema>;

export const flowNotesSchema = z.array(flowNoteSchema).superRefine((notes, ctx) => {
  const seen = new Set<string>();
  notes.forEach((n, i) => {
    if (seen.has(n.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate note id "${n.id}"` });
    seen.add(n.id);
  });
});

export const flowSchema = z
  .object({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    id: safeId,
    name: z.string().min(1, 'Name is required').max(200).regex(/\S/, 'Name is required'),
    description: z.string().optional(),
    tags: z.array(z.string()).optional(),
    inputs: z.array(flowIOSchema).default([]),
    outputs: z.array(flowIOSchema).default([]),
    nodes: z.array(flowNodeSchema),
    edges: z.array(flowEdgeSchema).default([]),
    /** Sticky notes (optional: flows without notes omit the key). */
    notes: flowNotesSchema.optional(),
  })
  .strict();

export type Flow = z.output<typeof flowSchema>;
export type FlowInput = z.input<typeof flowSchema>;
