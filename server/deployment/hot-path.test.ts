import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import type { Trace } from '../../shared';
import { openStorage } from '../storage/index';
import { loadConfig } from '../config';
import { REDACTED } from '../flows/redact';
import type { RunResult } from '../runtime/types';
import { EndpointRuntime, redactRun } from './endpoint';
import { generateApiKey, hashApiKey, keyPrefix } from './keys';
import type { KeyRecord } from './store';
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

describe('request log batches on SQLite', () => {
  function row(traceId: string, answer: string): LogRecord {
    return {
      traceId,
      slug: 's',
      version: 2,
      api: 'endpoint',
      status: 'failed',
      httpStatus: 500,
      latencyMs: 12.5,
      promptTokens: 3,
      completionTokens: 4,
      totalTokens: 7,
      cost: 0.000123,
      keyId: 'k1',
      keyLabel: '本番キー',
      sessionId: 'sess-1',
      errorCode: 'run_failed',
      errorMessage: 'ノードが失敗しました',
      promptInjection: true,
      inputs: { question: '日本の首都は？' },
      outputs: { answer },
      trace: result(answer).trace,
      createdAt: 1_700_000_000_000,
    };
  }

  it('writes through one prepared statement (not Kysely) and reads every column back', async () => {
    const storage = await openStorage(loadConfig({}), { sqliteFile: ':memory:' });
    try {
      expect(storage.sqlite).toBeDefined();
      const logs = new RequestLogStore(storage);
      const kysely = vi.spyOn(logs.db, 'insertInto');
      for (let i = 0; i < 250; i++) logs.add(row(`t${i}`, `東京 ${i}`));
      await logs.flush();
      expect(kysely).not.toHaveBeenCalled();
      const got = await logs.get('s', 't249', { trace: true });
      expect(got).toMatchObject({
        traceId: 't249',
        version: 2,
        status: 'failed',
        httpStatus: 500,
        latencyMs: 12.5,
        totalTokens: 7,
        cost: 0.000123,
        keyLabel: '本番キー',
        sessionId: 'sess-1',
        errorCode: 'run_failed',
        errorMessage: 'ノードが失敗しました',
        promptInjection: true,
        feedbackScore: null,
        inputs: { question: '日本の首都は？' },
        outputs: { answer: '東京 249' },
      });
      expect(got?.trace?.outputs).toEqual({ answer: '東京 249' });
      expect((await logs.list('s', { limit: 500 })).items).toHaveLength(250);
    } finally {
      await storage.close();
    }
  });

  it('goes through Kysely while a transaction is open, so a rollback of that transaction never takes log rows with it', async () => {
    const storage = await openStorage(loadConfig({}), { sqliteFile: ':memory:' });
    try {
      const logs = new RequestLogStore(storage);
      const kysely = vi.spyOn(logs.db, 'insertInto');
      let flushed: Promise<void> | undefined;
      await expect(
        storage.db.transaction().execute(async (trx) => {
          await sql`select 1`.execute(trx);
          expect(storage.sqlite?.inTransaction).toBe(true);
          logs.add(row('during', 'x'));
          flushed = logs.flush();
          // Let the flush try now, inside the open transaction.
          await new Promise((r) => setImmediate(r));
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      await flushed;
      expect(kysely).toHaveBeenCalled();
      expect((await logs.get('s', 'during'))?.traceId).toBe('during');
    } finally {
      await storage.close();
    }
  });
});

describe('API key cache (by token)', () => {
  const key = (token: string, revokedAt: number | null = null): KeyRecord => ({
    id: 'k1',
    slug: 's',
    label: 'default',
    prefix: keyPrefix(token),
    hash: hashApiKey(token),
    createdAt: 1,
    lastUsedAt: null,
    revokedAt,
  });

  function runtime(lookup: (hash: string) => Promise<KeyRecord | undefined>) {
    const calls: string[] = [];
    const store = {
      keyByHash: (hash: string) => {
        calls.push(hash);
        return lookup(hash);
      },
    };
    const rt = new EndpointRuntime({ store } as unknown as ConstructorParameters<typeof EndpointRuntime>[0]);
    return { rt, calls };
  }

  it('asks the store once per token, for known and unknown tokens alike, and again after invalidate', async () => {
    const token = generateApiKey();
    const other = generateApiKey();
    const { rt, calls } = runtime(async (h) => (h === hashApiKey(token) ? key(token) : undefined));
    for (let i = 0; i < 3; i++) expect((await rt.authenticate(`Bearer ${token}`, 's')).id).toBe('k1');
    for (let i = 0; i < 2; i++)
      await expect(rt.authenticate(`Bearer ${other}`, 's')).rejects.toMatchObject({ status: 401 });
    expect(calls).toEqual([hashApiKey(token), hashApiKey(other)]);
    rt.invalidate('s');
    await rt.authenticate(`Bearer ${token}`, 's');
    expect(calls).toHaveLength(3);
  });

  it('does not cache what the store read before a revocation that happened during the lookup', async () => {
    const token = generateApiKey();
    let revoked = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { rt } = runtime(async () => {
      const rec = key(token, revoked ? 2 : null);
      await gate;
      return rec;
    });
    const first = rt.authenticate(`Bearer ${token}`, 's');
    revoked = true;
    rt.invalidate('s'); // the revocation lands while the first lookup is in flight
    release();
    await first; // read before the revocation: this one call still passes
    await expect(rt.authenticate(`Bearer ${token}`, 's')).rejects.toMatchObject({ code: 'key_revoked' });
  });
});
