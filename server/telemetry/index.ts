/**
 * OpenTelemetry export of runs (docs/monitoring.md#opentelemetry). Off unless an OTLP
 * endpoint is configured: then `createRunTelemetry` returns undefined and callers skip
 * the hook entirely (`telemetry?.onEvent(…)`), so a run pays nothing for it.
 *
 * When on, run events (the runtime's one event union, child runs included) become spans
 * nested as the run tree and are exported over OTLP/HTTP by the official SDK. The SDK is
 * loaded on first use, not at start-up; events that arrive meanwhile wait in a bounded
 * buffer.
 */
import type { Logger } from 'pino';
import type { RunEvent } from '../../shared';
import type { Config, TelemetryConfig } from '../config';
import { secretValues } from '../flows/redact';
import type { ExportPipeline, PipelineOptions } from './provider';
import type { RunLabels } from './run-tree';

export type { RunLabels } from './run-tree';

export interface RunTelemetry {
  /** Feed one run event (any run of the tree); labels go on the span of a root run. */
  onEvent(event: RunEvent, labels?: RunLabels): void;
  /** A listener for `runFlow({ onEvent })` that labels its root runs. */
  listener(labels?: RunLabels): (event: RunEvent) => void;
  /** Export every ended span now. */
  flush(): Promise<void>;
  /** End open spans as incomplete, export, and stop (app close). */
  shutdown(): Promise<void>;
}

export interface RunTelemetryOptions {
  logger?: Logger;
  /** Secret values to redact (default: the config's, as everywhere else). */
  secrets?: string[];
  /** Pipeline overrides (tests: an in-memory exporter, a small run cap). */
  pipeline?: Omit<PipelineOptions, 'secrets'>;
}

/** Events held while the SDK loads (only the first moments after start-up). */
const MAX_BUFFERED_EVENTS = 10_000;

/** The run exporter for this config, or undefined when OpenTelemetry export is off. */
export function createRunTelemetry(config: Config, opts: RunTelemetryOptions = {}): RunTelemetry | undefined {
  if (!config.telemetry) return undefined;
  return new LazyRunTelemetry(config.telemetry, opts.secrets ?? secretValues(config), opts);
}

/** Call both listeners (either may be absent); undefined when both are. */
export function teeEvents(
  a: ((event: RunEvent) => void) | undefined,
  b: ((event: RunEvent) => void) | undefined,
): ((event: RunEvent) => void) | undefined {
  if (!a) return b;
  if (!b) return a;
  return (event) => {
    a(event);
    b(event);
  };
}

/** Labels of evaluation rows (and evaluator flows), which run outside RunService. */
export const EVALUATION_LABELS: RunLabels = { 'braid.source': 'evaluation' };

/** Run options with the exporter's listener added; the same options when export is off. */
export function withTelemetry<O extends { onEvent?: (event: RunEvent) => void }>(
  opts: O,
  telemetry: RunTelemetry | undefined,
  labels?: RunLabels,
): O {
  if (!telemetry) return opts;
  return { ...opts, onEvent: teeEvents(opts.onEvent, telemetry.listener(labels)) };
}

class LazyRunTelemetry implements RunTelemetry {
  private pipeline?: ExportPipeline;
  private readonly loading: Promise<ExportPipeline | undefined>;
  private buffer: Array<[RunEvent, RunLabels | undefined]> | undefined = [];
  private dropped = 0;
  private closed = false;

  constructor(
    config: TelemetryConfig,
    secrets: string[],
    private readonly opts: RunTelemetryOptions,
  ) {
    this.loading = import('./provider').then(
      ({ createPipeline }) => {
        const pipeline = createPipeline(config, {
          ...opts.pipeline,
          secrets,
          ...(opts.logger ? { logger: opts.logger } : {}),
        });
        for (const [event, labels] of this.buffer ?? []) this.feed(pipeline, event, labels);
        this.buffer = undefined;
        this.pipeline = pipeline;
        if (this.dropped > 0)
          opts.logger?.warn({ dropped: this.dropped }, 'OpenTelemetry: run events dropped while the exporter loaded');
        opts.logger?.info({ url: config.tracesUrl }, 'OpenTelemetry trace export on');
        return pipeline;
      },
      (err: unknown) => {
        this.buffer = undefined;
        opts.logger?.error({ err: (err as Error).message }, 'OpenTelemetry exporter failed to load; export is off');
        return undefined;
      },
    );
  }

  onEvent(event: RunEvent, labels?: RunLabels): void {
    if (event.type === 'token' || event.type === 'node_progress' || this.closed) return;
    if (this.pipeline) return this.feed(this.pipeline, event, labels);
    if (!this.buffer) return;
    if (this.buffer.length < MAX_BUFFERED_EVENTS) this.buffer.push([event, labels]);
    else this.dropped++;
  }

  listener(labels?: RunLabels): (event: RunEvent) => void {
    return (event) => this.onEvent(event, labels);
  }

  async flush(): Promise<void> {
    await (await this.loading)?.flush();
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    await (await this.loading)?.shutdown();
  }

  /** The exporter must never break a run: a fault is logged, the event is dropped. */
  private feed(pipeline: ExportPipeline, event: RunEvent, labels: RunLabels | undefined): void {
    try {
      pipeline.tree.onEvent(event, labels);
    } catch (err) {
      this.opts.logger?.warn({ err: (err as Error).message, runId: event.runId }, 'OpenTelemetry export failed');
    }
  }
}
