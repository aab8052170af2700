/** Port types a node input or output can carry. */
export const PORT_TYPES = ['string', 'number', 'boolean', 'json', 'messages', 'documents', 'list', 'any'] as const;
export type PortType = (typeof PORT_TYPES)[number];

export interface PortSpec {
  name: string;
  type: PortType;
  /** An input that must be connected or given a value. Ignored on outputs. */
  required?: boolean;
  description?: string;
}

/**
 * Whether a value of port type `source` may flow into a port of type `target`.
 *
 * - equal types are compatible;
 * - `any` and `json` on either side are compatible with everything (checked at run time);
 * - `number` and `boolean` flow into `string` (rendered as text);
 * - `documents` and `messages` are lists, so they flow into `list` (a map's `items`); a
 *   `list` (a map's outputs) does not flow into `documents` or `messages`, whose element
 *   shape it does not promise;
 * - everything else (e.g. `documents` → `number`, `string` → `messages`) is refused.
 */
export function portTypesCompatible(source: PortType, target: PortType): boolean {
  if (source === target) return true;
  if (source === 'any' || target === 'any' || source === 'json' || target === 'json') return true;
  if (target === 'string' && (source === 'number' || source === 'boolean')) return true;
  if (target === 'list' && (source === 'documents' || source === 'messages')) return true;
  return false;
}

/** Colours used by the canvas for each port type (kept here so docs and UI agree). */
export const PORT_COLORS: Record<PortType, string> = {
  string: '#3b82f6',
  number: '#f59e0b',
  boolean: '#8b5cf6',
  json: '#10b981',
  messages: '#ec4899',
  documents: '#14b8a6',
  list: '#0ea5e9',
  any: '#9ca3af',
};
