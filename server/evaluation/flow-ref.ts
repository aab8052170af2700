/** Resolve a flow reference (a file path or a flow id in the flows folder) to a valid Flow. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { assertValidFlow, migrateFlow, SAFE_ID, type Flow } from '../../shared/flow/index';

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
  return assertValidFlow(migrateFlow(raw).flow);
}
