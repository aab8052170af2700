/**
/**
 * Resolve a flow reference to a valid Flow, with the one flow loader (server/flows/loader.ts):
 * the flows it calls come from the flows folder and are attached to it (an evaluation
 * snapshots them with it).
 *
 * - `flowLoader(store)`: by id through the FlowStore only (the flows folder, symlinks kept
 *   inside it). Evaluations created over HTTP and the rows a `braid worker` runs for them
 *   load their flows (and evaluator flows) this way, whatever string a caller sends: a
 *   path is refused, never read.
 * - `loadFlowRef(ref, dir)`: the CLI's local evaluation, where the operator may name a
 *   flow file anywhere on their machine.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { FlowValidationError, SAFE_ID, type Flow } from '../../shared/flow/index';
import { loadFlow } from '../flows/loader';
import { FlowStore, FlowStoreError, isSafeFlowId } from '../flows/store';

/** Load flows by id from the flows folder; `invalid_id` for anything else (a path…). */
export function flowLoader(store: FlowStore): (ref: string) => Promise<Flow> {
  return async (ref) => {
    if (!isSafeFlowId(ref))
      throw new FlowStoreError(
        'invalid_id',
        'a flow is named by its id ([a-z0-9][a-z0-9_-]*): flows come from the flows folder, never from a path',
      );
    const stored = await store.get(ref);
    if (!stored) throw new FlowStoreError('not_found', `flow "${ref}" not found`);
    if (!stored.valid || !stored.flow)
      throw new FlowValidationError(stored.problems, `flow "${ref}" is invalid; fix it before evaluating`);
    return stored.flow;
  };
}

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
