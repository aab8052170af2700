/**
 * The OpenTelemetry SDK pieces behind the run exporter: a tracer provider of its own (not
 * registered globally, so Braid never changes what other code in the process does with
 * the OpenTelemetry API), a batch span processor and the OTLP/HTTP (JSON) trace exporter.
 * Loaded only when export is on (index.ts imports this module lazily).
 */
import { BasicTracerProvider, BatchSpanProcessor, RandomIdGenerator } from '@opentelemetry/sdk-trace-base';
import type { IdGenerator, ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import type { Logger } from 'pino';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { TelemetryConfig } from '../config';
import { RunTreeTracer, type TraceIdHint } from './run-tree';

/** Random ids, except a root run's trace id, which is its run id when it has one. */
class RunIdGenerator implements IdGenerator, TraceIdHint {
  next?: string;
  private readonly random = new RandomIdGenerator();

  generateTraceId(): string {
    return this.next ?? this.random.generateTraceId();
  }

  generateSpanId(): string {
    return this.random.generateSpanId();
  }
}

export interface ExportPipeline {
  tree: RunTreeTracer;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface PipelineOptions {
  secrets: string[];
  /** Package version, as `service.version`. */
  version?: string;
  /** Send spans here instead of OTLP/HTTP (tests of the mapping). */
  exporter?: SpanExporter;
  maxOpenRuns?: number;
  logger?: Logger;
}

type ExportResult = Parameters<Parameters<SpanExporter['export']>[1]>[0];
/** `ExportResultCode.SUCCESS` of @opentelemetry/core (not a direct dependency). */
const EXPORT_SUCCESS = 0;

/** How often a failing backend is reported in the log (the SDK itself stays silent). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

/** The exporter, with failed exports logged (at most once a minute) instead of swallowed. */
class LoggedExporter implements SpanExporter {
  private lastLogged = 0;

  constructor(
    private readonly inner: SpanExporter,
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== EXPORT_SUCCESS && Date.now() - this.lastLogged > FAILURE_LOG_INTERVAL_MS) {
        this.lastLogged = Date.now();
        this.logger?.warn(
          { url: this.url, spans: spans.length, err: result.error?.message },
          'OpenTelemetry export failed; spans dropped',
        );
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export function createPipeline(config: TelemetryConfig, opts: PipelineOptions): ExportPipeline {
  const exporter = new LoggedExporter(
    opts.exporter ?? new OTLPTraceExporter({ url: config.tracesUrl, headers: config.headers, timeoutMillis: 10_000 }),
    config.tracesUrl,
    opts.logger,
  );
  const ids = new RunIdGenerator();
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: config.serviceName,
        ...(opts.version ? { [ATTR_SERVICE_VERSION]: opts.version } : {}),
      }),
    ),
    idGenerator: ids,
    spanProcessors: [
      // Bounded: beyond maxQueueSize spans are dropped, never buffered without limit.
      new BatchSpanProcessor(exporter, { maxQueueSize: 8192, maxExportBatchSize: 512, scheduledDelayMillis: 2000 }),
    ],
  });
  const tracer = provider.getTracer('braid.runtime', opts.version);
  const tree = new RunTreeTracer(tracer, {
    maxContentChars: config.maxContentChars,
    secrets: opts.secrets,
    ids,
    ...(opts.maxOpenRuns !== undefined ? { maxOpenRuns: opts.maxOpenRuns } : {}),
  });
  return {
    tree,
    flush: () => provider.forceFlush(),
    async shutdown() {
      tree.endAll();
      await provider.shutdown();
    },
  };
}
