import { create } from 'zustand';
import type { RunEvent, RunStatus, Span, Trace } from '../../shared/runtime/events';
import { appendAgentToken, applyAgentProgress, isAgentProgress, type AgentEntry } from './agentSteps';

export type NodeRunStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'retrying' | 'waiting';

/** The current (or last) run of the open flow, fed by run events. */
export interface RunState {
  runId: string | null;
  status: RunStatus | 'idle';
  inputs: Record<string, unknown>;
  nodeStatus: Record<string, NodeRunStatus>;
  spans: Record<string, Span>;
  /** Streamed text per node. */
  tokens: Record<string, string>;
  /** Live progress per node (`node_progress`): a map's `{ done, failed, total }`, a loop's `{ iteration }`. */
  progress: Record<string, Record<string, unknown>>;
  /** An agent node's steps, live from its `node_progress` events and tokens (agentSteps.ts). */
  agentSteps: Record<string, AgentEntry[]>;
  /** When each node started (epoch ms) and when the run started: the timeline. */
  started: Record<string, number>;
  runStartedAt: number;
  /** The node that streamed last (shown while running). */
  streamingNode: string | null;
  trace: Trace | null;
  error: string | null;
  /** Node whose details the run panel shows. */
  focusNode: string | null;
  /** Tasks for people the shown run waits on (it is `waiting`), with the canvas node each belongs to. */
  waitTasks: WaitTask[];
  start(inputs: Record<string, unknown>): void;
  apply(e: RunEvent): void;
  fail(message: string): void;
  showTrace(trace: Trace): void;
  setFocus(id: string | null): void;
  setWaitTasks(tasks: WaitTask[]): void;
  reset(): void;
}

/** A pending task of the shown run: `nodeId` is the node on this canvas (a map node for its items' tasks). */
export interface WaitTask {
  taskId: string;
  nodeId: string;
  kind: string;
}

const idle = {
  runId: null,
  status: 'idle' as const,
  inputs: {},
  nodeStatus: {},
  spans: {},
  tokens: {},
  progress: {},
  agentSteps: {},
  started: {},
  runStartedAt: 0,
  streamingNode: null,
  trace: null,
  error: null,
  waitTasks: [] as WaitTask[],
};

function spanStatus(span: Span): NodeRunStatus {
  return span.status;
}

export const useRun = create<RunState>()((set, get) => ({
  ...idle,
  focusNode: null,
  start: (inputs) => set({ ...idle, status: 'running', inputs, runStartedAt: Date.now() }),
  apply(e) {
    const s = get();
    // The canvas shows the run it started; child runs (subflow, map, loop, agent tools) are
    // reached through their node's details, so their own events are not applied here.
    if (e.type === 'run_started' ? e.parent !== undefined : s.runId !== null && e.runId !== s.runId) return;
    switch (e.type) {
      case 'run_started':
        set({ runId: e.runId, status: 'running', runStartedAt: e.at });
        break;
      case 'node_progress':
        set({
          progress: { ...s.progress, [e.nodeId]: e.progress },
          ...(isAgentProgress(e.progress)
            ? {
                agentSteps: {
                  ...s.agentSteps,
                  [e.nodeId]: applyAgentProgress(s.agentSteps[e.nodeId] ?? [], e.progress),
                },
              }
            : {}),
        });
        break;
      case 'node_started':
        set({
          nodeStatus: { ...s.nodeStatus, [e.nodeId]: 'running' },
          started: s.started[e.nodeId] ? s.started : { ...s.started, [e.nodeId]: e.at },
          runStartedAt: s.runStartedAt || e.at,
        });
        break;
      case 'node_retry': {
        // The node runs again: the text it streamed so far is void (never shown twice).
        const { [e.nodeId]: _void, ...tokens } = s.tokens;
        set({ nodeStatus: { ...s.nodeStatus, [e.nodeId]: 'retrying' }, tokens });
        break;
      }
      case 'token':
        set({
          tokens: { ...s.tokens, [e.nodeId]: (s.tokens[e.nodeId] ?? '') + e.token },
          streamingNode: e.nodeId,
          ...(s.agentSteps[e.nodeId]
            ? { agentSteps: { ...s.agentSteps, [e.nodeId]: appendAgentToken(s.agentSteps[e.nodeId]!, e.token) } }
            : {}),
        });
        break;
      case 'node_finished':
      case 'node_failed':
      case 'node_skipped':
      case 'node_waiting':
        set({
          nodeStatus: { ...s.nodeStatus, [e.nodeId]: spanStatus(e.span) },
          spans: { ...s.spans, [e.nodeId]: e.span },
        });
        break;
      case 'run_finished': {
        const spans: Record<string, Span> = {};
        const nodeStatus: Record<string, NodeRunStatus> = {};
        for (const sp of e.trace.spans) {
          spans[sp.nodeId] = sp;
          nodeStatus[sp.nodeId] = spanStatus(sp);
        }
        set({
          status: e.trace.status,
          trace: e.trace,
          spans,
          nodeStatus,
          error: e.trace.error
            ? `${e.trace.error.nodeId ? `${e.trace.error.nodeId}: ` : ''}${e.trace.error.message}`
            : null,
        });
        break;
      }
    }
  },
  fail: (message) => set({ status: 'failed', error: message }),
  showTrace(trace) {
    const spans: Record<string, Span> = {};
    const nodeStatus: Record<string, NodeRunStatus> = {};
    for (const sp of trace.spans) {
      spans[sp.nodeId] = sp;
      nodeStatus[sp.nodeId] = spanStatus(sp);
    }
    const started: Record<string, number> = {};
    for (const sp of trace.spans) if (sp.status !== 'skipped') started[sp.nodeId] = sp.startedAt;
    set({
      ...idle,
      runId: trace.runId,
      status: trace.status,
      inputs: trace.inputs,
      trace,
      spans,
      nodeStatus,
      started,
      runStartedAt: trace.startedAt,
    });
  },
  setFocus: (focusNode) => set({ focusNode }),
  setWaitTasks: (waitTasks) => set({ waitTasks }),
  reset: () => set({ ...idle, focusNode: null }),
}));
