import type { Flow } from '../../shared/flow/schema';
import { CURRENT_SCHEMA_VERSION } from '../../shared/flow/schema';
import { api } from '../api/http';
import { serializeFlow } from '../../shared/flow/serialize';

export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '')
    .slice(0, 60);
  return s || 'untitled';
}

/**
 * A new flow as the dialog promises it: a `question` input and an `answer` output declared,
 * with an Inputs and an Outputs node placed apart, ready for a prompt between them.
 */
export function newFlow(id: string, name: string): Flow {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    id,
    name,
    inputs: [{ name: 'question', type: 'string', required: true }],
    outputs: [{ name: 'answer', type: 'string' }],
    nodes: [
      { id: 'inputs', type: 'input', position: { x: 0, y: 0 } },
      { id: 'outputs', type: 'output', position: { x: 640, y: 0 } },
    ],
    edges: [],
  };
}

/** Download a flow as `<id>.flow.json` (pretty-printed, the file's own key order). */
export async function exportFlow(id: string): Promise<void> {
  const { flow } = await api.getFlow(id);
  const blob = new Blob([serializeFlow(flow)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = `${id}.flow.json`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
