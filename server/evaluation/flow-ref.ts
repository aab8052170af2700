/**
 * Resolve a flow reference (a file path or a flow id in the flows folder) to a valid Flow,
 * with the one flow loader (server/flows/loader.ts): the flows it calls come from the flows
 * folder and are attached to it (an evaluation snapshots them with it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FlowValidationError, SAFE_ID, type Flow } from '../../shared/flow/index';
import { loadFlow } from '../flows/loader';
import { FlowStore } from '../flows/store';

export async function loadFlowRef(ref: string, flowsDir: string): Promise<Flow> {
  const isPath = ref.endsWith('.json') || ref.includes('/') || ref.includes(path.sep);
  if (!isPath && !SAFE_ID.test(ref)) throw new Error(`"${ref}" is neither a flow file nor a flow id`);
  const file = isPath ? path.resolve(ref) : path.join(flowsDir, `${ref}.flow.json`);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    throw new Error(isPath ? `flow file not found: ${file}` : `flow "${ref}" not found in ${flowsDir}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const loaded = await loadFlow(raw, new FlowStore(flowsDir).documents);
  if (!loaded.valid || !loaded.flow) throw new FlowValidationError(loaded.problems);
  return loaded.flow;
}
