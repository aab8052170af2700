import { describe, expect, it } from 'vitest';
import type { Trace } from '../../shared';
import { openStorage } from '../storage/index';
import { loadConfig } from '../config';
import { REDACTED } from '../flows/redact';
import type { RunResult } from '../runtime/types';
import { redactRun } from './endpoint';
import { RequestLogStore, type LogRecord } from './logs';

const SECRET = 'sk-secret-0123456789';

function result(answer: string): RunResult {
  const outputs = { answer };
  const trace: Trace = {
    runId: 'r1',
    flowId: 'f',
    status: 'succeeded',
    startedAt: 1,
    durationMs: 1,
    inputs: { question: 'q' },
    outputs,
    spans: [],
    usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, cost: 0 },
  };
  return { runId: 'r1', status: 'succeeded', outputs, trace };
}

describe('redactRun (one stringify of the trace per call)', () => {
  it('hands back the result as it is, with the trace JSON, when no secret appears', () => {
    const raw = result('Paris');
    const { result: out, traceJson } = redactRun(raw, [SECRET]);
    expect(out).toBe(raw);
    expect(traceJson).toBe(JSON.stringify(raw.trace));
  });

  it('redacts outputs and trace (and gives no JSON) when a secret appears, raw or JSON-escaped', () => {
    for (const answer of [`key ${SECRET}`, `"${SECRET}"`]) {
      const { result: out, traceJson } = redactRun(result(answer), [SECRET]);
      expect(traceJson).toBeUndefined();
      expect(JSON.stringify(out)).not.toContain(SECRET);
      expect(String(out.outputs.answer)).toContain(REDACTED);
      expect(String(out.trace.outputs.answer)).toContain(REDACTED);
    }
  });

  it('does nothing without secrets', () => {
    const raw = result('Paris');
    expect(redactRun(raw, [])).toEqual({ result: raw });
  });
});

describe('request log with a precomputed trace JSON', () => {
  it('stores the given JSON, and stringifies the trace itself when none is given', async () => {
    const storage = await openStorage(loadConfig({}), { sqliteFile: ':memory:' });
    try {
      const logs = new RequestLogStore(storage);
      const raw = result('Paris');
      const base: LogRecord = {
        traceId: 't1',
        slug: 's',
        version: 1,
        api: 'endpoint',
        status: 'succeeded',
        httpStatus: 200,
        latencyMs: 1,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
        cost: 0,
        keyId: null,
        keyLabel: null,
        sessionId: null,
        errorCode: null,
        errorMessage: null,
        promptInjection: false,
        inputs: raw.trace.inputs,
        outputs: raw.outputs,
        trace: raw.trace,
        createdAt: Date.now(),
      };
      logs.add({ ...base, traceJson: JSON.stringify(raw.trace) });
      logs.add({ ...base, traceId: 't2' });
      // The given JSON is stored verbatim (not re-derived from `trace`).
      logs.add({ ...base, traceId: 't3', traceJson: JSON.stringify({ ...raw.trace, flowId: 'given' }) });
      const a = await logs.get('s', 't1', { trace: true });
      const b = await logs.get('s', 't2', { trace: true });
      expect(a?.trace).toEqual(raw.trace);
      expect(b?.trace).toEqual(raw.trace);
      expect((await logs.get('s', 't3', { trace: true }))?.trace?.flowId).toBe('given');
    } finally {
      await storage.close();
    }
  });
});
