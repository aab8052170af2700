/**
 * Serving deployed endpoints: authenticate a key (cached briefly by token, revocations in
 * this process take effect at once), resolve a slug's live or pinned snapshot, run it under the
 * deployment's timeout, and record the call (request log, metrics, conversation memory).
 * A failure in one call never affects another: every call has its own run and abort signal.
 */
import { randomUUID } from 'node:crypto';
import type { Flow, RunEvent, Trace } from '../../shared';
import type { DeploymentSettings, EndpointResponse, LogStatus } from '../../shared/api/deployment';
import { mentionsSecret, redact, StreamRedactor } from '../flows/redact';
import type { EndpointMetrics } from '../monitoring/metrics';
import { runFlow } from '../runtime/index';
import { RunInputError, type RunResult, type RunServices } from '../runtime/types';
import { teeEvents, type RunTelemetry } from '../telemetry/index';
import type { ChildRunWriter } from '../flows/child-runs';
import { chatShape } from './chat';
import type { ChatMessage, ConversationStore } from './conversations';
import { DeploymentError } from './errors';
import { publicRunFailure } from './public-errors';
import { bearerToken, digestEquals, hashApiKey, looksLikeApiKey } from './keys';
import type { LogRecord, RequestLogStore } from './logs';
import { TokenBucketLimiter, type RateDecision, type RateLimit } from './rate-limit';
import { redactPii } from './redact-pii';
import type { DeploymentRecord, DeploymentStore, KeyRecord, VersionRecord } from './store';
import type { DurableRun } from '../durable/store';
import { canPause } from '../durable/journal';

const KEY_TTL_MS = 5_000;
/** Bearer tokens remembered at most (verified keys and unknown tokens alike). */
const KEY_CACHE_MAX = 10_000;
/** Logged for a call whose client went away before the answer (nginx's "client closed request"). */
export const CLIENT_CLOSED = 499;
const DEPLOYMENT_TTL_MS = 2_000;

/** In-memory (one process) or Redis (shared) token buckets. */
export interface Limiter {
  take(key: string, limit: RateLimit): RateDecision | Promise<RateDecision>;
}

export interface Target {
  deployment: DeploymentRecord;
  version: VersionRecord;
}

export interface InvokeOptions {
  api: 'endpoint' | 'openai' | 'playground' | 'mcp';
  key: KeyRecord | null;
  sessionId?: string;
  signal?: AbortSignal;
  /**
   * The run's own controller, made by the caller (who aborts it when the client goes
   * away): saves a second controller and a forwarding listener per call. `invoke` aborts
   * it on the deployment timeout. Takes the place of `signal`.
   */
  controller?: AbortController;
  /**
   * Streamed tokens: only from nodes whose text no validator may still block
   * (shared/flow/streaming.ts), of this run (never a child run's), never sent twice.
   */
  onToken?: (token: string, nodeId: string) => void;
  /** The caller's own `max_tokens` (chat completions): lowers the deployment's cap, never raises it. */
  maxTokens?: number;
  /** Turns to append to the session after a successful run (chat APIs). */
  turns?: (outputs: Record<string, unknown>) => ChatMessage[];
}

export interface InvokeResult extends EndpointResponse {
  status: Trace['status'];
  trace: Trace;
}

export function promptInjectionIn(trace: Trace): boolean {
  return trace.spans.some((s) => s.meta?.promptInjection === true);
}

/**
 * Secrets out of a run result, stringifying the trace once: the JSON the secret check
 * needs is the one the request log stores (`traceJson`, set when nothing was redacted).
 * `outputs` is the trace's own outputs object, so checking the trace covers the result.
 */
export function redactRun(raw: RunResult, secrets: string[]): { result: RunResult; traceJson?: string } {
  if (secrets.length === 0) return { result: raw };
  const json = JSON.stringify(raw.trace);
  if (raw.outputs === raw.trace.outputs && !mentionsSecret(json, secrets)) return { result: raw, traceJson: json };
  return { result: redact(raw, secrets) };
}

/** What a request log record says about the call itself, before it ran. */
type LogBase = Pick<LogRecord, 'slug' | 'version' | 'api' | 'keyId' | 'keyLabel' | 'sessionId' | 'createdAt'>;

export class EndpointRuntime {
  readonly limiter: Limiter;
  private readonly keyCache = new Map<string, { rec: KeyRecord | undefined; at: number }>();
  private keyGeneration = 0;
  private readonly servicesByCap = new Map<number, RunServices>();
  private readonly depCache = new Map<string, { rec: DeploymentRecord | undefined; at: number }>();
  private readonly versionCache = new Map<string, VersionRecord>();
  private readonly touched = new Set<string>();

  constructor(
    private readonly deps: {
      store: DeploymentStore;
      logs: RequestLogStore;
      conversations: ConversationStore;
      metrics: EndpointMetrics;
      services: RunServices;
      secrets: string[];
      limiter?: Limiter;
      /** OpenTelemetry run export (absent when off). */
      telemetry?: RunTelemetry;
      /** Stores the child runs of a call (subflow, map, loop, agent tools) under its trace id. */
      childRuns?: ChildRunWriter;
    },
  ) {
    this.limiter = deps.limiter ?? new TokenBucketLimiter();
  }

  /** Forget cached state of a slug (deploy, rollback, settings, key revocation). */
  invalidate(slug?: string): void {
    if (slug) {
      this.depCache.delete(slug);
      // Versions are immutable, but a deleted slug can be deployed again from version 1.
      for (const id of this.versionCache.keys()) if (id.startsWith(`${slug}@`)) this.versionCache.delete(id);
    } else {
      this.depCache.clear();
      this.versionCache.clear();
    }
    this.keyCache.clear();
    this.keyGeneration++;
  }

  /**
   * The run services with a token cap, one object per cap (copying the services on every
   * call showed up under load). Caps are a deployment setting or a caller's `max_tokens`;
   * at most a few hundred distinct ones are kept.
   */
  private servicesFor(maxTokens: number): RunServices {
    let s = this.servicesByCap.get(maxTokens);
    if (!s) {
      if (this.servicesByCap.size >= 256) this.servicesByCap.clear();
      s = { ...this.deps.services, limits: { ...this.deps.services.limits, maxTokens } };
      this.servicesByCap.set(maxTokens, s);
    }
    return s;
  }

  /** Key ids used since the last call (to record last_used_at in batches). */
  drainTouched(): string[] {
    const ids = [...this.touched];
    this.touched.clear();
    return ids;
  }

  /**
   * The key record of a bearer token. Verified records (and unknown tokens) are cached by
   * the token itself for KEY_TTL_MS, oldest dropped past KEY_CACHE_MAX (a hit does not extend
   * an entry, so insertion order is age order and no reordering is needed per call): a
   * repeated call neither hashes the token (SHA-256 per call showed up under load) nor
   * queries the store. A hit needs no digest comparison: the entry was stored for exactly
   * this token after the store matched its hash. `invalidate` empties the cache (revocation).
   */
  private async key(token: string): Promise<KeyRecord | undefined> {
    const now = Date.now();
    const hit = this.keyCache.get(token);
    if (hit && now - hit.at < KEY_TTL_MS) return hit.rec;
    const hash = hashApiKey(token);
    const generation = this.keyGeneration;
    const found = await this.deps.store.keyByHash(hash);
    const rec = found && digestEquals(found.hash, hash) ? found : undefined;
    // A revocation while the store answered: do not cache what it read before.
    if (generation !== this.keyGeneration) return rec;
    this.keyCache.delete(token);
    if (this.keyCache.size >= KEY_CACHE_MAX) this.keyCache.delete(this.keyCache.keys().next().value as string);
    this.keyCache.set(token, { rec, at: now });
    return rec;
  }

  /** The key of an Authorization header: 401 when missing, unknown or revoked; 403 for another deployment's key. */
  async authenticate(header: string | undefined, slug: string | undefined): Promise<KeyRecord> {
    const challenge = { 'WWW-Authenticate': 'Bearer realm="braid-endpoint"' };
    const token = bearerToken(header);
    if (!token)
      throw new DeploymentError(
        401,
        'unauthorized',
        'missing API key (Authorization: Bearer <key>)',
        undefined,
        challenge,
      );
    const rec = looksLikeApiKey(token) ? await this.key(token) : undefined;
    if (!rec) throw new DeploymentError(401, 'unauthorized', 'invalid API key', undefined, challenge);
    if (rec.revokedAt !== null)
      throw new DeploymentError(401, 'key_revoked', 'this API key has been revoked', undefined, challenge);
    if (slug !== undefined && rec.slug !== slug)
      throw new DeploymentError(403, 'forbidden', `this API key does not belong to deployment "${slug}"`);
    this.touched.add(rec.id);
    return rec;
  }

  async deployment(slug: string): Promise<DeploymentRecord> {
    const now = Date.now();
    const hit = this.depCache.get(slug);
    let rec = hit?.rec;
    if (!hit || now - hit.at >= DEPLOYMENT_TTL_MS) {
      rec = await this.deps.store.get(slug);
      if (this.depCache.size > 10_000) this.depCache.clear();
      this.depCache.set(slug, { rec, at: now });
    }
    if (!rec) throw new DeploymentError(404, 'not_found', `no deployment "${slug}"`);
    return rec;
  }

  /** The live version of a slug, or a pinned one. */
  async resolve(slug: string, pinned?: number): Promise<Target> {
    const deployment = await this.deployment(slug);
    const n = pinned ?? deployment.liveVersion;
    const id = `${slug}@${n}@${deployment.createdAt}`; // createdAt: a deleted and re-created slug never hits old entries, in any process
    let version = this.versionCache.get(id);
    if (!version) {
      version = await this.deps.store.version(slug, n);
      if (!version) throw new DeploymentError(404, 'version_not_found', `deployment "${slug}" has no version ${n}`);
      if (this.versionCache.size > 500) this.versionCache.clear();
      this.versionCache.set(id, version);
    }
    return { deployment, version };
  }

  /** Take a token from the key's bucket or refuse with 429 + Retry-After. */
  async rateLimit(key: KeyRecord, settings: DeploymentSettings): Promise<void> {
    const d = await this.limiter.take(key.id, settings.rateLimit);
    if (!d.ok) {
      this.deps.metrics.recordRateLimited(key.slug);
      const seconds = Math.max(1, Math.ceil(d.retryAfterMs / 1000));
      throw new DeploymentError(
        429,
        'rate_limited',
        `rate limit of ${settings.rateLimit.requestsPerMinute} requests/minute (burst ${settings.rateLimit.burst}) exceeded; retry in ${seconds} s`,
        { retryAfterSeconds: seconds },
        { 'Retry-After': String(seconds) },
      );
    }
  }

  /**
   * Load a session's stored history for a chat flow (empty without a session). A
   * conversation belongs to the key that made it: another key with the same session id
   * sees its own (empty at first) history.
   */
  async history(t: Target, key: KeyRecord | null, sessionId: string | undefined): Promise<ChatMessage[]> {
    if (!sessionId) return [];
    // Without a key the store refuses a deployment scope (a programming error, never a shared history).
    return this.deps.conversations.load({ scope: t.deployment.slug, keyId: key?.id ?? null, sessionId });
  }

  /** Run the target with inputs; records the call whatever happens. */
  async invoke(t: Target, rawInputs: Record<string, unknown>, o: InvokeOptions): Promise<InvokeResult> {
    const { deployment, version } = t;
    const flow: Flow = version.flow;
    const started = Date.now();
    const t0 = performance.now();
    const base = {
      slug: deployment.slug,
      version: version.version,
      api: o.api,
      keyId: o.key?.id ?? null,
      keyLabel: o.key?.label ?? null,
      sessionId: o.sessionId ?? null,
      createdAt: started,
    };
    if ((o.api === 'openai' || o.api === 'mcp') && canPause(flow)) {
      // These protocols answer in one response and have no status URL to come back to;
      // refused before any model call is spent on a run that would stop at the first pause.
      const message = `this deployment's flow can pause for a person (a Human node or a tool that needs approval), which the ${o.api === 'mcp' ? 'MCP' : 'OpenAI-compatible'} API cannot wait for: call POST /v1/endpoints/${deployment.slug}, which answers 202 with a status URL (and can post a webhook) when the run pauses`;
      this.recordRejected(base, performance.now() - t0, 422, 'not_durable', message, deployment.settings, rawInputs);
      throw new DeploymentError(422, 'not_durable', message);
    }
    const controller = o.controller ?? new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('endpoint timeout'));
    }, deployment.settings.timeoutMs);
    const onAbort = () => controller.abort(o.signal?.reason);
    if (!o.controller) {
      if (o.signal?.aborted) controller.abort(o.signal.reason);
      else o.signal?.addEventListener('abort', onAbort, { once: true });
    }
    let inputs = rawInputs;
    const shape = o.sessionId ? chatShape(flow) : undefined;
    if (o.sessionId && shape?.history && o.api === 'endpoint' && rawInputs[shape.history] === undefined) {
      inputs = { ...rawInputs, [shape.history]: await this.history(t, o.key, o.sessionId) };
    }
    // Tokens leave through the stream redactor: a secret split across tokens is caught too.
    const stream = o.onToken ? new StreamRedactor(this.deps.secrets) : undefined;
    const runId = randomUUID();
    const onTokens = stream
      ? (e: RunEvent) => {
          if (e.runId !== runId) return; // a child run's text is delivered with its parent's result
          if (e.type === 'token') {
            const t = stream.push(`${e.runId}\u0000${e.nodeId}`, e.token);
            if (t) o.onToken?.(t, e.nodeId);
          } else if (e.type === 'node_finished' || e.type === 'node_failed' || e.type === 'node_retry') {
            const t = stream.flush(`${e.runId}\u0000${e.nodeId}`);
            if (t) o.onToken?.(t, e.nodeId);
          }
        }
      : undefined;
    const onEvent = teeEvents(
      teeEvents(
        onTokens,
        this.deps.telemetry?.listener({
          'braid.source': 'deployment',
          'braid.deployment.slug': deployment.slug,
          'braid.deployment.version': version.version,
          'braid.deployment.api': o.api,
        }),
      ),
      // Masked like the request log that holds the parent's trace.
      this.deps.childRuns?.listener(flow, 'deployment', deployment.settings.redactPii ? redactPii : undefined),
    );
    try {
      const maxTokens = Math.min(deployment.settings.maxTokens, o.maxTokens ?? Infinity);
      const raw = await runFlow(flow, inputs, {
        runId,
        services: this.servicesFor(maxTokens),
        signal: controller.signal,
        tokens: 'validated',
        ...(onEvent ? { onEvent } : {}),
      });
      const run = redactRun(raw, this.deps.secrets);
      const { result } = run;
      const trace = result.trace;
      const latencyMs = performance.now() - t0;
      const ok = result.status === 'succeeded';
      // The client went away (its controller aborted, not our timeout): cancelled, not a failure.
      const left = !ok && !timedOut && result.status === 'cancelled' && controller.signal.aborted;
      this.recordRun(
        base,
        run,
        inputs,
        {
          status: ok ? 'succeeded' : left ? 'cancelled' : 'failed',
          httpStatus: ok ? 200 : timedOut ? 504 : left ? CLIENT_CLOSED : 500,
          latencyMs,
          ...(timedOut
            ? {
                error: {
                  code: 'timeout',
                  message: `the run exceeded the deployment timeout of ${deployment.settings.timeoutMs} ms`,
                },
              }
            : left
              ? {
                  error: {
                    code: 'client_disconnected',
                    message: 'the client disconnected before the answer; the run was cancelled',
                  },
                }
              : {}),
        },
        deployment.settings,
      );
      if (!ok) {
        if (timedOut)
          throw new DeploymentError(
            504,
            'timeout',
            `the run exceeded the deployment timeout of ${deployment.settings.timeoutMs} ms`,
            { traceId: result.runId },
          );
        if (left)
          throw new DeploymentError(CLIENT_CLOSED, 'cancelled', 'the client disconnected; the run was cancelled', {
            traceId: result.runId,
          });
        // Braid's words only: the node's own message (provider text, URLs) stays in the trace and log.
        throw new DeploymentError(500, 'run_failed', publicRunFailure(trace.error, result.status, flow), {
          traceId: result.runId,
          ...(trace.error?.code ? { cause: trace.error.code } : {}),
        });
      }
      if (o.sessionId) {
        const turns = o.turns?.(result.outputs) ?? [];
        if (turns.length > 0)
          await this.deps.conversations.append(
            { scope: deployment.slug, keyId: o.key?.id ?? null, sessionId: o.sessionId },
            // Memory is stored like the request log: masked when the deployment says so.
            deployment.settings.redactPii ? redactPii(turns) : turns,
            deployment.settings.history,
          );
      }
      return { outputs: result.outputs, traceId: result.runId, usage: trace.usage, status: result.status, trace };
    } catch (err) {
      if (err instanceof RunInputError)
        throw this.rejectInputs(base, err, deployment.settings, inputs, performance.now() - t0);
      throw err;
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Record a durable call's answer: 200 (ended in the call), 202 (`waiting`: the row takes
   * the outcome when the run ends, recordFinished) or 500.
   */
  recordDurable(
    t: Target,
    call: { key: KeyRecord; sessionId?: string; createdAt: number; latencyMs: number; inputs: Record<string, unknown> },
    raw: RunResult,
  ): void {
    const run = redactRun(raw, this.deps.secrets);
    const waiting = run.result.status === 'waiting';
    const ok = run.result.status === 'succeeded';
    this.recordRun(
      {
        slug: t.deployment.slug,
        version: t.version.version,
        api: 'endpoint',
        keyId: call.key.id,
        keyLabel: call.key.label,
        sessionId: call.sessionId ?? null,
        createdAt: call.createdAt,
      },
      run,
      call.inputs,
      {
        status: waiting ? 'waiting' : ok ? 'succeeded' : 'failed',
        httpStatus: waiting ? 202 : ok ? 200 : 500,
        latencyMs: call.latencyMs,
      },
      t.deployment.settings,
    );
  }

  /**
   * Log a run that started, from its redacted result: usage, trace and outputs from the run;
   * the status the call answered with; the error from `outcome.error`, else the trace's
   * (none for `succeeded` and `waiting`, whose outputs are not in yet).
   */
  private recordRun(
    base: LogBase,
    run: { result: RunResult; traceJson?: string },
    inputs: Record<string, unknown>,
    outcome: { status: LogStatus; httpStatus: number; latencyMs: number; error?: { code: string; message: string } },
    settings: DeploymentSettings,
  ): void {
    const { result, traceJson } = run;
    const trace = result.trace;
    const clean = outcome.status === 'succeeded' || outcome.status === 'waiting';
    this.record(
      {
        ...base,
        traceId: result.runId,
        status: outcome.status,
        httpStatus: outcome.httpStatus,
        latencyMs: outcome.latencyMs,
        promptTokens: trace.usage.promptTokens,
        completionTokens: trace.usage.completionTokens,
        totalTokens: trace.usage.totalTokens,
        cost: trace.usage.cost,
        errorCode: clean ? null : (outcome.error?.code ?? trace.error?.code ?? 'run_failed'),
        errorMessage: clean ? null : (outcome.error?.message ?? trace.error?.message ?? null),
        promptInjection: promptInjectionIn(trace),
        inputs,
        outputs: outcome.status === 'waiting' ? null : result.outputs,
        trace,
        ...(traceJson !== undefined ? { traceJson } : {}),
      },
      settings,
    );
  }

  /**
   * A call whose inputs the flow refused: recorded as rejected, and the 400 to answer with
   * (issue paths under `inputs.`).
   */
  rejectInputs(
    base: LogBase,
    err: RunInputError,
    settings: DeploymentSettings,
    inputs: Record<string, unknown>,
    latencyMs: number,
  ): DeploymentError {
    const issues = err.issues.map((i) => ({
      path: i.path.startsWith('inputs') ? i.path : `inputs.${i.path}`,
      message: i.message,
    }));
    this.recordRejected(base, latencyMs, 400, 'invalid_inputs', err.message, settings, inputs);
    return new DeploymentError(400, 'invalid_inputs', issues.map((i) => `${i.path}: ${i.message}`).join('; '), {
      issues,
    });
  }

  /**
   * A deployed run that paused has ended (durable runs call this): its request log row
   * (`waiting`, written when the call answered 202) takes the outcome and the latency from
   * the call to the end. The Prometheus counter counted the call once, as 202.
   */
  async recordFinished(run: DurableRun, raw?: RunResult): Promise<void> {
    if (!run.deployment || (run.status !== 'succeeded' && run.status !== 'failed' && run.status !== 'cancelled'))
      return;
    const { slug } = run.deployment;
    let settings: DeploymentSettings;
    try {
      settings = (await this.deployment(slug)).settings;
    } catch {
      return; // the deployment was deleted, and its logs with it
    }
    const redacted = raw ? redactRun(raw, this.deps.secrets) : undefined;
    const result = redacted?.result;
    const usage = result?.trace.usage;
    const mask = <T>(v: T): T => (settings.redactPii ? redactPii(v) : v);
    const errorMessage = run.error?.message ?? null;
    await this.deps.logs.complete(slug, run.id, {
      status: run.status,
      latencyMs: Math.max(0, run.updatedAt - run.createdAt),
      errorCode: run.status === 'succeeded' ? null : (run.error?.code ?? run.status),
      errorMessage: errorMessage && settings.redactPii ? redactPii(errorMessage) : errorMessage,
      outputs: run.status === 'succeeded' ? mask(redact(run.outputs ?? {}, this.deps.secrets)) : null,
      promptTokens: usage?.promptTokens ?? 0,
      completionTokens: usage?.completionTokens ?? 0,
      totalTokens: usage?.totalTokens ?? 0,
      cost: usage?.cost ?? null,
      ...(result ? { trace: mask(result.trace) } : {}),
      // The JSON redactRun already made, unless masking changes the trace.
      ...(redacted?.traceJson !== undefined && !settings.redactPii ? { traceJson: redacted.traceJson } : {}),
    });
  }

  /** Record a call refused before it ran (bad inputs). */
  recordRejected(
    base: LogBase,
    latencyMs: number,
    httpStatus: number,
    code: string,
    message: string,
    settings: DeploymentSettings,
    inputs: Record<string, unknown> | null,
  ): void {
    this.record(
      {
        ...base,
        traceId: `rej-${crypto.randomUUID()}`,
        status: 'rejected',
        httpStatus,
        latencyMs,
        promptTokens: 0,
        completionTokens: 0,
        totalTokens: 0,
        cost: null,
        errorCode: code,
        errorMessage: message,
        promptInjection: false,
        inputs,
        outputs: null,
        trace: null,
      },
      settings,
    );
  }

  private record(rec: LogRecord, settings: DeploymentSettings): void {
    this.deps.metrics.record(rec);
    const safe = settings.redactPii
      ? {
          ...rec,
          traceJson: undefined,
          inputs: redactPii(rec.inputs),
          outputs: redactPii(rec.outputs),
          trace: redactPii(rec.trace),
          errorMessage: rec.errorMessage ? redactPii(rec.errorMessage) : null,
        }
      : rec;
    this.deps.logs.add(safe);
  }
}
