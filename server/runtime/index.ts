/**
 * The runtime's entry point: `runFlow` checks the run inputs, then hands the flow to the
 * scheduler with the real executors (or the caller's, in tests).
 */
import { randomUUID } from 'node:crypto';
import type { Flow } from '../../shared';
import { checkRunInputs } from './inputs';
import { closureResolver } from './closure';
import { schedule, type ExecutorLookup } from './scheduler';
import type { RunOptions, RunResult } from './types';

export interface RunFlowOptions extends RunOptions {
  /** Executors by node type (default: the real ones). */
  executors?: ExecutorLookup;
}

/**
 * Run a flow. Throws RunInputError (before any event) when `inputs` do not match the
 * flow's declared inputs; every other problem ends the run as `failed` with a trace.
 */
export async function runFlow(flow: Flow, inputs: Record<string, unknown>, opts: RunFlowOptions): Promise<RunResult> {
  const checked = opts.only ? { ...(inputs ?? {}) } : checkRunInputs(flow, inputs);
  const executors = opts.executors ?? (await loadDefaultExecutors());
  const flows = opts.services.flows ?? closureResolver(flow);
  const services = flows && flows !== opts.services.flows ? { ...opts.services, flows } : opts.services;
  return schedule(flow, checked, { ...opts, services, runId: opts.runId ?? randomUUID(), executors });
}

let defaults: ExecutorLookup | undefined;
/**
 * The real executors, loaded on first use: callers that pass their own (tests, tools that
 * run only some node types) never load the LLM and HTTP stacks.
 */
async function loadDefaultExecutors(): Promise<ExecutorLookup> {
  defaults ??= (await import('./executors')).executors;
  return defaults;
}

export { checkRunInputs, typeProblem } from './inputs';
export { attachClosure, closureOf, closureResolver } from './closure';
export { compilePlan, Ledger } from './plan';
export type { Plan, PlanNode, PlanEdge, NodeState } from './plan';
export { schedule, DEFAULT_NODE_TIMEOUT_MS } from './scheduler';
export { toNodeError } from './attempt';
export type { ExecutorLookup, ScheduleOptions } from './scheduler';
export { DEFAULT_RETRY, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS, retryDelay, sleep } from './retry';
export type { RetryPolicy } from './retry';
export { NodeError, RunInputError } from './types';
export type {
  Executor,
  ExecutorMap,
  KnowledgeSearch,
  NodeContext,
  NodeResult,
  ReaskFeedback,
  RunOptions,
  RunResult,
  RunServices,
} from './types';
