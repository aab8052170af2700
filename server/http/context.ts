import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { FlowStore } from '../flows/store';
import type { RunService } from '../flows/runs';
import type { ChildRunWriter } from '../flows/child-runs';
import type { DurableRuns } from '../durable/service';
import type { RunServices } from '../runtime/types';
import type { Storage } from '../storage/index';
import type { RunsRepository } from '../storage/runs';
import type { RunTelemetry } from '../telemetry/index';

/** What route modules receive. Domains read what they need from here. */
export interface AppContext {
  config: Config;
  storage: Storage;
  logger: Logger;
  flows: FlowStore;
  runsRepo: RunsRepository;
  runService: RunService;
  /** Stores child runs of endpoint calls and evaluation rows (written behind; `flush()` before reading). */
  childRuns: ChildRunWriter;
  /** Durable runs: async runs, runs that wait on people, tasks (server/durable). */
  durable: DurableRuns;
  services: RunServices;
  /** Secret values to redact from anything a route sends. */
  secrets: string[];
  /** OpenTelemetry run export (absent when off); runs started outside RunService feed it too. */
  telemetry?: RunTelemetry;
  /** Register cleanup to run when the app closes (queues, timers…). */
  onClose(fn: () => Promise<void> | void): void;
}

/** A route module: builds a router whose routes carry their full paths (`/api/…`). */
export type RouteModule = (ctx: AppContext) => Router;

/** Routers are case-sensitive so that routing agrees with the auth check. */
export function createRouter(): Router {
  return express.Router({ caseSensitive: true, strict: false, mergeParams: false });
}
