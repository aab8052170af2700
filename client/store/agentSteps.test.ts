import { describe, expect, it } from 'vitest';
import type { Span } from '../../shared/runtime/events';
import {
  agentProgressLabel,
  appendAgentToken,
  applyAgentProgress,
  entriesFromSpan,
  isAgentProgress,
  type AgentEntry,
} from './agentSteps';

function replay(events: Array<Record<string, unknown> | string>): AgentEntry[] {
  let e: AgentEntry[] = [];
  for (const ev of events) e = typeof ev === 'string' ? appendAgentToken(e, ev) : applyAgentProgress(e, ev);
  return e;
}

describe('agent steps from node_progress events', () => {
  it('builds model turns, tool calls with results, and the answer, in order', () => {
    const entries = replay([
      { kind: 'model_call', iteration: 1 },
      '調べ',
      'ます。',
      { kind: 'model_reply', iteration: 1, text: '調べます。', toolCalls: 2, durationMs: 41.5, tokens: 30 },
      { kind: 'tool_call', iteration: 1, id: 'a', name: 'kb-search', arguments: { query: '返品' } },
      { kind: 'tool_call', iteration: 1, id: 'b', name: 'stock', arguments: { sku: 'x' } },
      // results arrive in any order
      {
        kind: 'tool_result',
        iteration: 1,
        id: 'b',
        name: 'stock',
        error: { code: 'code_error', message: 'DB down' },
        durationMs: 3,
        toolKind: 'flow',
        childRunId: 'run-b',
      },
      {
        kind: 'tool_result',
        iteration: 1,
        id: 'a',
        name: 'kb-search',
        result: { answer: '30日' },
        durationMs: 12,
        toolKind: 'flow',
        childRunId: 'run-a',
      },
      { kind: 'model_call', iteration: 2 },
      '30日です',
      { kind: 'model_reply', iteration: 2, text: '30日です', toolCalls: 0, durationMs: 20, tokens: 12 },
      { kind: 'answer', text: '30日です' },
    ]);
    expect(entries.map((e) => e.type)).toEqual(['model', 'tool', 'tool', 'model', 'answer']);
    expect(entries[0]).toMatchObject({ status: 'done', text: '調べます。', toolCalls: 2, durationMs: 41.5 });
    expect(entries[1]).toMatchObject({ id: 'a', status: 'done', result: { answer: '30日' }, childRunId: 'run-a' });
    expect(entries[2]).toMatchObject({ id: 'b', status: 'failed', error: { code: 'code_error' }, toolKind: 'flow' });
    expect(agentProgressLabel(entries, false)).toBe('2 tool calls · 1 failed');
  });

  it('streams text into the running call, voids it on a retry, marks a call cut by the time budget', () => {
    let e = replay([{ kind: 'model_call', iteration: 1 }, 'partial']);
    expect(e[0]).toMatchObject({ status: 'running', text: 'partial' });
    expect(agentProgressLabel(e, true)).toBe('step 1 · thinking…');
    e = applyAgentProgress(e, { kind: 'model_retry', iteration: 1, attempt: 1 });
    expect(e[0]).toMatchObject({ status: 'running', text: '', retries: 1 });
    e = replay([
      { kind: 'model_call', iteration: 1 },
      { kind: 'model_cut', iteration: 1, limit: 'maxDurationMs', durationMs: 200 },
      { kind: 'limit', limit: 'maxDurationMs' },
      { kind: 'model_call', iteration: 1, final: true },
    ]);
    expect(e.map((x) => (x.type === 'model' ? `${x.type}:${x.status}` : x.type))).toEqual([
      'model:cut',
      'limit',
      'model:running',
    ]);
    expect(agentProgressLabel(e, true)).toBe('answering…');
    // a token when no call is running changes nothing
    const done = replay([{ kind: 'answer', text: 'x' }]);
    expect(appendAgentToken(done, 'y')).toBe(done);
  });

  it('labels a running tool call on the node', () => {
    const e = replay([
      { kind: 'model_call', iteration: 2 },
      { kind: 'model_reply', iteration: 2, text: '', toolCalls: 1 },
      { kind: 'tool_call', iteration: 2, id: 'c', name: 'kb-search', arguments: {} },
    ]);
    expect(agentProgressLabel(e, true)).toBe('step 2 · kb-search…');
  });

  it('tells agent progress from a map’s or loop’s', () => {
    expect(isAgentProgress({ kind: 'tool_call' })).toBe(true);
    expect(isAgentProgress({ done: 1, failed: 0, total: 3 })).toBe(false);
    expect(isAgentProgress({ iteration: 2 })).toBe(false);
  });
});

describe('agent steps from a stored span (a run opened from history)', () => {
  it('rebuilds turns from outputs.steps, meta.thinking and meta.stoppedBy', () => {
    const span = {
      nodeId: 'agent',
      nodeType: 'agent',
      status: 'succeeded',
      inputs: {},
      outputs: {
        text: '分かった範囲で答えます',
        steps: [
          { iteration: 1, id: 'a', name: 'kb', kind: 'flow', arguments: { q: 1 }, result: 'r1', durationMs: 5 },
          { iteration: 1, id: 'b', name: 'kb', kind: 'flow', arguments: { q: 2 }, result: 'r2', durationMs: 6 },
          {
            iteration: 2,
            id: 'c',
            name: 'nope',
            arguments: {},
            error: { code: 'unknown_tool', message: 'no' },
            durationMs: 0.1,
          },
        ],
      },
      startedAt: 0,
      durationMs: 10,
      attempts: 1,
      meta: { thinking: [{ iteration: 1, text: 'まず検索' }], stoppedBy: 'maxIterations' },
    } as Span;
    const e = entriesFromSpan(span);
    expect(e.map((x) => x.type)).toEqual(['model', 'tool', 'tool', 'model', 'tool', 'limit', 'answer']);
    expect(e[0]).toMatchObject({ text: 'まず検索', toolCalls: 2 });
    expect(e[4]).toMatchObject({ status: 'failed', error: { code: 'unknown_tool' } });
    expect(e[6]).toEqual({ type: 'answer', text: '分かった範囲で答えます' });
    expect(agentProgressLabel(e, false)).toBe('3 tool calls · 1 failed · stopped by maxIterations');
  });
});
