/**
 * Storage + run service for commands that work on files and BRAID_DATA_DIR directly.
 * Import it lazily (`await import('../local')`): it loads the runtime and model SDKs.
 */
import pino from 'pino';
import type { Config } from '../config';
import { FlowStore } from '../flows/store';
import { RunService } from '../flows/runs';
import { secretValues } from '../flows/redact';
import { buildRunServices } from '../services';
import { openStorage, type Storage } from '../storage/index';
import { RunsRepository } from '../storage/runs';
import { createRunTelemetry } from '../telemetry/index';

export interface LocalRuntime {
  config: Config;
  storage: Storage;
  /** The run records (the RunService's own). */
  runs: RunsRepository;
  runService: RunService;
  close(): Promise<void>;
}

/** Open storage and a RunService, as the server would, without a server. */
export async function openLocalRuntime(config: Config): Promise<LocalRuntime> {
  const storage = await openStorage(config);
  const logger = pino({ level: 'silent' });
  const telemetry = createRunTelemetry(config);
  const services = buildRunServices({ config, storage });
  const runs = new RunsRepository(storage);
  const runService = new RunService({
    flows: new FlowStore(config.flowsDir),
    runs,
    services,
    secrets: secretValues(config),
    logger,
    telemetry,
  });
  return {
    config,
    storage,
    runs,
    runService,
    async close() {
      await runService.settled();
      await telemetry?.shutdown();
      await services.mcp?.close();
      await storage.close();
    },
  };
}
