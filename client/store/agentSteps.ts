/**
 * An agent node's steps as the run panel shows them: built live from its `node_progress`
 * events (server/agent/loop.ts) and streamed tokens, or — for a run opened from history —
 * from its span (`outputs.steps`, `meta.thinking`, `meta.stoppedBy`). Pure functions: the
 * run store calls them, tests call them directly.
 */
import type { Span } from '../../shared/runtime/events';

export interface AgentModelEntry {
  type: 'model';
  iteration: number;
  /** The last call at a limit (tools disabled). */
  final?: boolean;
  /** Streamed text while running; the model's text once it replied. */
  text: string;
  status: 'running' | 'done' | 'cut';
  durationMs?: number;
  /** Tool calls the model asked for in this turn. */
  toolCalls?: number;
  tokens?: number;
  retries: number;
}

export interface AgentToolEntry {
  type: 'tool';
  iteration: number;
  id: string;
  name: string;
  toolKind?: 'flow' | 'mcp';
  arguments: unknown;
  status: 'running' | 'done' | 'failed';
  result?: unknown;
  error?: { code: string; message: string };
  durationMs?: number;
  /** The child run of a flow tool. */
  childRunId?: string;
}

export type AgentEntry =
  AgentModelEntry | AgentToolEntry | { type: 'limit'; limit: string } | { type: 'answer'; text: string };

/** The `progress.kind` values of an agent's node_progress events. */
const AGENT_KINDS = new Set([
  'model_call',
  'model_reply',
  'model_cut',
  'model_retry',
  'tool_call',
  'tool_result',
  'limit',
  'answer',
]);

export function isAgentProgress(p: Record<string, unknown>): boolean {
  return typeof p.kind === 'string' && AGENT_KINDS.has(p.kind);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function lastRunningModel(entries: AgentEntry[]): number {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type === 'model') return e.status === 'running' ? i : -1;
  }
  return -1;
}

function replaceAt(entries: AgentEntry[], i: number, next: AgentEntry): AgentEntry[] {
  const out = entries.slice();
  out[i] = next;
  return out;
}

/** The entries after one node_progress event (a new array; the old one is not changed). */
export function applyAgentProgress(entries: AgentEntry[], p: Record<string, unknown>): AgentEntry[] {
  const iteration = num(p.iteration) ?? 0;
  switch (p.kind) {
    case 'model_call':
      return [
        ...entries,
        { type: 'model', iteration, ...(p.final ? { final: true } : {}), text: '', status: 'running', retries: 0 },
      ];
    case 'model_retry': {
      const i = lastRunningModel(entries);
      if (i < 0) return entries;
      const m = entries[i] as AgentModelEntry;
      // the text streamed by the failed attempt is void
      return replaceAt(entries, i, { ...m, text: '', retries: m.retries + 1 });
    }
    case 'model_reply':
    case 'model_cut': {
      const i = lastRunningModel(entries);
      if (i < 0) return entries;
      const m = entries[i] as AgentModelEntry;
      const durationMs = num(p.durationMs);
      const toolCalls = num(p.toolCalls);
      const tokens = num(p.tokens);
      return replaceAt(entries, i, {
        ...m,
        status: p.kind === 'model_cut' ? 'cut' : 'done',
        text: p.kind === 'model_reply' ? str(p.text) : m.text,
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(toolCalls !== undefined ? { toolCalls } : {}),
        ...(tokens !== undefined ? { tokens } : {}),
      });
    }
    case 'tool_call':
      return [
        ...entries,
        {
          type: 'tool',
          iteration,
          id: str(p.id),
          name: str(p.name),
          arguments: p.arguments,
          status: 'running',
        },
      ];
    case 'tool_result': {
      const id = str(p.id);
      const i = entries.findIndex((e) => e.type === 'tool' && e.id === id && e.status === 'running');
      const error = p.error as AgentToolEntry['error'] | undefined;
      const durationMs = num(p.durationMs);
      const done: AgentToolEntry = {
        ...(i >= 0
          ? (entries[i] as AgentToolEntry)
          : { type: 'tool', iteration, id, name: str(p.name), arguments: p.arguments, status: 'running' }),
        status: error ? 'failed' : 'done',
        ...(error ? { error } : { result: p.result }),
        ...(p.toolKind === 'flow' || p.toolKind === 'mcp' ? { toolKind: p.toolKind } : {}),
        ...(durationMs !== undefined ? { durationMs } : {}),
        ...(typeof p.childRunId === 'string' ? { childRunId: p.childRunId } : {}),
      };
      return i >= 0 ? replaceAt(entries, i, done) : [...entries, done];
    }
    case 'limit':
      return [...entries, { type: 'limit', limit: str(p.limit) }];
    case 'answer':
      return [...entries, { type: 'answer', text: str(p.text) }];
    default:
      return entries;
  }
}

/** A streamed token goes to the model call that is running (if any). */
export function appendAgentToken(entries: AgentEntry[], token: string): AgentEntry[] {
  const i = lastRunningModel(entries);
  if (i < 0) return entries;
  const m = entries[i] as AgentModelEntry;
  return replaceAt(entries, i, { ...m, text: m.text + token });
}

interface StoredStep {
  iteration?: number;
  id?: string;
  name?: string;
  kind?: 'flow' | 'mcp';
  arguments?: unknown;
  result?: unknown;
  error?: { code: string; message: string };
  durationMs?: number;
  childRunId?: string;
}

/** The steps of a finished agent from its span (a run opened from history): no live timings of model calls. */
export function entriesFromSpan(span: Span): AgentEntry[] {
  const steps = Array.isArray(span.outputs?.steps) ? (span.outputs.steps as StoredStep[]) : [];
  const meta = span.meta ?? {};
  const thinking = Array.isArray(meta.thinking) ? (meta.thinking as Array<{ iteration: number; text: string }>) : [];
  const out: AgentEntry[] = [];
  let iteration = -1;
  for (const s of steps) {
    const it = num(s.iteration) ?? 0;
    if (it !== iteration) {
      iteration = it;
      out.push({
        type: 'model',
        iteration: it,
        text: thinking.find((t) => t.iteration === it)?.text ?? '',
        status: 'done',
        toolCalls: steps.filter((x) => x.iteration === it).length,
        retries: 0,
      });
    }
    out.push({
      type: 'tool',
      iteration: it,
      id: str(s.id),
      name: str(s.name),
      ...(s.kind ? { toolKind: s.kind } : {}),
      arguments: s.arguments,
      status: s.error ? 'failed' : 'done',
      ...(s.error ? { error: s.error } : { result: s.result }),
      ...(num(s.durationMs) !== undefined ? { durationMs: s.durationMs } : {}),
      ...(s.childRunId ? { childRunId: s.childRunId } : {}),
    });
  }
  if (typeof meta.stoppedBy === 'string') out.push({ type: 'limit', limit: meta.stoppedBy });
  if (typeof span.outputs?.text === 'string') out.push({ type: 'answer', text: span.outputs.text });
  return out;
}

/** One line for the canvas node while it runs or after: "step 2 · kb-search…", "3 tool calls". */
export function agentProgressLabel(entries: AgentEntry[] | undefined, running: boolean): string | null {
  if (!entries || entries.length === 0) return null;
  const tools = entries.filter((e): e is AgentToolEntry => e.type === 'tool');
  if (running) {
    const last = entries[entries.length - 1]!;
    const busy = tools.filter((t) => t.status === 'running');
    if (busy.length && last.type !== 'model')
      return `step ${busy[0]!.iteration} · ${[...new Set(busy.map((t) => t.name))].join(', ')}…`;
    if (last.type === 'model') return last.final ? 'answering…' : `step ${last.iteration} · thinking…`;
  }
  const failed = tools.filter((t) => t.status === 'failed').length;
  const limit = entries.find((e) => e.type === 'limit');
  return [
    `${tools.length} tool call${tools.length === 1 ? '' : 's'}`,
    failed ? `${failed} failed` : '',
    limit && limit.type === 'limit' ? `stopped by ${limit.limit}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}
