/**
 * Build a NodeContext for calling one executor directly in a test, recording what the
 * executor reports (tokens, usage, meta). The flow around the node is a real, minimal flow.
 */
import type { Flow, FlowNode, SpanMessage, TokenUsage } from '../../shared';
import type { Config } from '../../server/config';
import { loadConfig } from '../../server/config';
import type { NodeContext, ReaskFeedback } from '../../server/runtime/types';

export interface RecordedContext<C> extends NodeContext<C> {
  tokens: string[];
  progress: Array<Record<string, unknown>>;
  usage: Array<{ model: string; usage: TokenUsage; cost: number | null }>;
  meta: Record<string, unknown>;
  /** The messages the executor said its last model call sent (read as a span would). */
  sentMessages(): readonly SpanMessage[] | undefined;
}

export function executorContext<C>(
  nodeType: string,
  config: C,
  inputs: Record<string, unknown>,
  opts: { env?: Record<string, string>; config?: Config; signal?: AbortSignal; feedback?: ReaskFeedback } = {},
): RecordedContext<C> {
  const node: FlowNode = {
    id: 'n1',
    type: nodeType,
    position: { x: 0, y: 0 },
    config: config as Record<string, unknown>,
  };
  const flow: Flow = {
    schemaVersion: 1,
    id: 'test-flow',
    name: 'Test flow',
    inputs: [],
    outputs: [],
    nodes: [node],
    edges: [],
  };
  const tokens: string[] = [];
  const progress: Array<Record<string, unknown>> = [];
  const usage: RecordedContext<C>['usage'] = [];
  const meta: Record<string, unknown> = {};
  let messages: (() => readonly SpanMessage[]) | undefined;
  return {
    runId: 'run-test',
    flow,
    node,
    config,
    inputs,
    runInputs: {},
    signal: opts.signal ?? new AbortController().signal,
    services: { config: opts.config ?? loadConfig(opts.env ?? {}) },
    ...(opts.feedback ? { feedback: opts.feedback } : {}),
    emitToken: (t) => tokens.push(t),
    emitProgress: (p) => progress.push(p),
    recordUsage: (model, u, cost) => usage.push({ model, usage: u, cost }),
    setMeta: (m) => Object.assign(meta, m),
    recordMessages: (m) => {
      messages = m;
    },
    sentMessages: () => messages?.(),
    tokens,
    progress,
    usage,
    meta,
  };
}
