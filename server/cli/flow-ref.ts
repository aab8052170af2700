/**
 * Resolve a `<flow>` argument: a file path (anything with a slash, or ending in .json, or
 * an existing file) or a flow id in BRAID_FLOWS_DIR. Only parses and validates, with the
 * one flow loader (server/flows/loader.ts): flows it calls come from BRAID_FLOWS_DIR.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Flow } from '../../shared';
import type { FlowProblem } from '../../shared/api/errors';
import { FLOW_SUFFIX, FlowStore, isSafeFlowId } from '../flows/store';
import { loadFlow } from '../flows/loader';
import { CliExit, EXIT_USAGE } from './errors';

export interface ResolvedFlow {
  /** The id the flow runs under (file name for `<id>.flow.json`, else the document's id). */
  id: string;
  file: string;
  document: Record<string, unknown>;
  flow?: Flow;
  problems: FlowProblem[];
  valid: boolean;
}

export function looksLikePath(ref: string): boolean {
  return ref.includes('/') || ref.includes(path.sep) || ref.endsWith('.json') || !isSafeFlowId(ref);
}

export function resolveFlowFile(ref: string, flowsDir: string): string {
  if (looksLikePath(ref) || fs.existsSync(ref)) return path.resolve(ref);
  return path.join(flowsDir, `${ref}${FLOW_SUFFIX}`);
}

export async function loadFlowRef(ref: string, flowsDir: string): Promise<ResolvedFlow> {
  const file = resolveFlowFile(ref, flowsDir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliExit(
      EXIT_USAGE,
      code === 'ENOENT'
        ? looksLikePath(ref)
          ? `no such flow file: ${file}`
          : `no flow "${ref}" in ${flowsDir} (looked for ${file})`
        : `cannot read ${file}: ${(err as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CliExit(EXIT_USAGE, `${file}: invalid JSON: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw new CliExit(EXIT_USAGE, `${file}: not a JSON object`);
  const base = path.basename(file);
  const fileId = base.endsWith(FLOW_SUFFIX) ? base.slice(0, -FLOW_SUFFIX.length) : undefined;
  const docId = (raw as Record<string, unknown>).id;
  const id = fileId && isSafeFlowId(fileId) ? fileId : typeof docId === 'string' ? docId : '';
  const document = { ...(raw as Record<string, unknown>), ...(id ? { id } : {}) };
  const res = await loadFlow(document, new FlowStore(flowsDir).documents);
  return {
    id,
    file,
    document,
    ...(res.flow ? { flow: res.flow } : {}),
    problems: res.problems,
    valid: res.valid && Boolean(res.flow),
  };
}
