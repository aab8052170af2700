import { create } from 'zustand';
import type { FlowProblem } from '../../shared/api/errors';
import type { Flow } from '../../shared/flow/schema';
import { validateFlow } from '../../shared/flow/validate';
import { serializeFlow } from '../../shared/flow/serialize';
import { toFlow, edgeId } from './convert';
import { sameNotes, useDoc } from './docStore';
import { useSession } from './sessionStore';
import { useUi } from './uiStore';
import { diffFlows, EMPTY_DIFF, type FlowDiff } from './diff';
import { flowResolver, useFlowIndex } from './flowIndex';

/**
 * Facts derived from the document, recomputed off the hot path (debounced after edits,
 * never per drag frame): validation problems, the dirty flag and the diff vs the saved file.
 */
export interface DerivedState {
  problems: FlowProblem[];
  /** Problem count per node id. */
  nodeProblems: Record<string, number>;
  /** Edge ids with problems. */
  edgeProblems: Record<string, string>;
  diff: FlowDiff | null;
}

export const useDerived = create<DerivedState>()(() => ({
  problems: [],
  nodeProblems: {},
  edgeProblems: {},
  diff: null,
}));

export function currentFlow(): Flow {
  const s = useDoc.getState();
  return toFlow(s.meta, s.nodes, s.edges, s.notes);
}

function marks(flow: Flow, problems: FlowProblem[]): Pick<DerivedState, 'nodeProblems' | 'edgeProblems'> {
  const nodeProblems: Record<string, number> = {};
  const edgeProblems: Record<string, string> = {};
  for (const p of problems) {
    if (p.edgeIndex !== undefined && flow.edges[p.edgeIndex]) edgeProblems[edgeId(flow.edges[p.edgeIndex])] = p.message;
    else if (p.nodeId) nodeProblems[p.nodeId] = (nodeProblems[p.nodeId] ?? 0) + 1;
  }
  return { nodeProblems, edgeProblems };
}

export function recompute(): void {
  clearTimeout(timer);
  const flow = currentFlow();
  const session = useSession.getState();
  useSession.getState().setDirty(session.saved !== null && serializeFlow(flow) !== session.savedJson);
  let problems: FlowProblem[];
  try {
    problems = validateFlow(flow, { flows: flowResolver() }).problems;
  } catch (err) {
    problems = [{ code: 'validator_crashed', message: (err as Error).message, path: '', severity: 'error' }];
  }
  // The Changes view compares with the last save, or with the git version picked for it.
  const base = useUi.getState().diffBase?.flow ?? session.saved;
  const diff = base ? diffFlows(base, flow) : null;
  useDerived.setState({ problems, ...marks(flow, problems), diff });
}

/**
 * A flow just opened: it is the saved file, so it is not dirty, has no changes, and its
 * problems are the ones the server found in that file. Use them instead of validating the
 * same document again while the canvas renders for the first time.
 */
export function seedFromServer(flow: Flow, problems: FlowProblem[]): void {
  clearTimeout(timer);
  useDerived.setState({ problems, ...marks(flow, problems), diff: EMPTY_DIFF });
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Recompute soon (debounced), off the current task. */
export function schedule(): void {
  clearTimeout(timer);
  timer = setTimeout(recompute, 150);
}

let started = false;
/** Watch the document (authored changes only) and the saved version. */
export function startDerivedWatcher(): void {
  if (started) return;
  started = true;
  useDoc.subscribe((s, prev) => {
    if (s.meta !== prev.meta || s.edges !== prev.edges) return schedule();
    if (s.notes !== prev.notes && !sameNotes(s.notes, prev.notes)) return schedule();
    if (s.nodes === prev.nodes) return;
    // Skip selection/measure-only changes (cheap reference checks, no serialization).
    if (s.nodes.length !== prev.nodes.length) return schedule();
    for (let i = 0; i < s.nodes.length; i++) {
      const a = s.nodes[i];
      const b = prev.nodes[i];
      if (a !== b && (a.id !== b.id || a.data !== b.data || a.position !== b.position)) return schedule();
    }
  });
  useSession.subscribe((s, prev) => {
    if (s.saved !== prev.saved) schedule();
  });
  useUi.subscribe((s, prev) => {
    if (s.diffBase !== prev.diffBase) recompute();
  });
  // Another flow's inputs/outputs changed (or the list arrived): calling nodes' ports follow.
  useFlowIndex.subscribe((s, prev) => {
    if (s.byId !== prev.byId) schedule();
  });
}
