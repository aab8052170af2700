/**
 * Prometheus metrics (prom-client) for deployed endpoints, one registry per app so tests
 * that start several apps do not share counters. Labels carry deployment slugs, versions,
 * API names and status classes only — never keys, inputs or outputs.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface RequestSample {
  slug: string;
  version: number;
  api: string;
  /** succeeded | failed | rejected */
  status: string;
  httpStatus: number;
  latencyMs: number;
  promptTokens: number;
  completionTokens: number;
  cost: number | null;
  promptInjection: boolean;
}

export class EndpointMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'deployment' | 'version' | 'api' | 'status' | 'code'>;
  private readonly duration: Histogram<'deployment' | 'api'>;
  private readonly tokens: Counter<'deployment' | 'kind'>;
  private readonly cost: Counter<'deployment'>;
  private readonly feedback: Counter<'deployment' | 'sentiment'>;
  private readonly injections: Counter<'deployment'>;
  private readonly rateLimited: Counter<'deployment'>;
  private readonly refused: Counter<'deployment' | 'code'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'braid_endpoint_requests_total',
      help: 'Calls to deployed endpoints',
      labelNames: ['deployment', 'version', 'api', 'status', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'braid_endpoint_request_duration_seconds',
      help: 'Latency of deployed endpoint calls',
      labelNames: ['deployment', 'api'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.tokens = new Counter({
      name: 'braid_endpoint_tokens_total',
      help: 'Model tokens used by deployed endpoints',
      labelNames: ['deployment', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'braid_endpoint_cost_usd_total',
      help: 'Model cost of deployed endpoints (USD, known prices only)',
      labelNames: ['deployment'],
      registers,
    });
    this.feedback = new Counter({
      name: 'braid_endpoint_feedback_total',
      help: 'Feedback received',
      labelNames: ['deployment', 'sentiment'],
      registers,
    });
    this.injections = new Counter({
      name: 'braid_endpoint_prompt_injections_total',
      help: 'Calls in which a validator flagged prompt injection',
      labelNames: ['deployment'],
      registers,
    });
    this.rateLimited = new Counter({
      name: 'braid_endpoint_rate_limited_total',
      help: 'Calls refused by the rate limiter',
      labelNames: ['deployment'],
      registers,
    });
    this.refused = new Counter({
      name: 'braid_endpoint_refused_total',
      help: 'Calls refused before running (bad key, wrong deployment, CORS, body too large, rate limited)',
      labelNames: ['deployment', 'code'],
      registers,
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'braid_' });
  }

  /** Label-bound children, cached: binding labels hashes them, which shows up under load. */
  private readonly children = new Map<
    string,
    {
      requests: { inc(): void };
      duration: { observe(v: number): void };
      prompt: { inc(v: number): void };
      completion: { inc(v: number): void };
      cost: { inc(v: number): void };
    }
  >();

  record(s: RequestSample): void {
    const id = `${s.slug}\u0000${s.version}\u0000${s.api}\u0000${s.status}\u0000${s.httpStatus}`;
    let c = this.children.get(id);
    if (!c) {
      if (this.children.size > 5_000) this.children.clear();
      c = {
        requests: this.requests.labels({
          deployment: s.slug,
          version: String(s.version),
          api: s.api,
          status: s.status,
          code: String(s.httpStatus),
        }),
        duration: this.duration.labels({ deployment: s.slug, api: s.api }),
        prompt: this.tokens.labels({ deployment: s.slug, kind: 'prompt' }),
        completion: this.tokens.labels({ deployment: s.slug, kind: 'completion' }),
        cost: this.cost.labels({ deployment: s.slug }),
      };
      this.children.set(id, c);
    }
    c.requests.inc();
    c.duration.observe(s.latencyMs / 1000);
    if (s.promptTokens) c.prompt.inc(s.promptTokens);
    if (s.completionTokens) c.completion.inc(s.completionTokens);
    if (s.cost) c.cost.inc(s.cost);
    if (s.promptInjection) this.injections.inc({ deployment: s.slug });
  }

  recordFeedback(slug: string, sentiment: number): void {
    this.feedback.inc({
      deployment: slug,
      sentiment: sentiment > 0.5 ? 'positive' : sentiment < 0.5 ? 'negative' : 'neutral',
    });
  }

  /** A call refused before it ran (401, 403, 413, 400 body errors, 429), by error code. */
  recordRefused(slug: string, code: string): void {
    this.refused.inc({ deployment: slug, code });
  }

  recordRateLimited(slug: string): void {
    this.rateLimited.inc({ deployment: slug });
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
