/** Config + storage for commands that work on files and BRAID_DATA_DIR directly. */
import pino from 'pino';
import { ConfigError, loadConfig, type Config } from '../config';
import { FlowStore } from '../flows/store';
import { RunService } from '../flows/runs';
import { secretValues } from '../flows/redact';
import { buildRunServices } from '../services';
import { openStorage, type Storage } from '../storage/index';
import { RunsRepository } from '../storage/runs';
import { CliExit, EXIT_USAGE } from './errors';

export function cliConfig(overrides: Partial<Config> = {}): Config {
  try {
    return loadConfig(process.env, overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliExit(EXIT_USAGE, err.message);
    throw err;
  }
}

export interface LocalRuntime {
  config: Config;
  storage: Storage;
  runService: RunService;
  close(): Promise<void>;
}

/** Open storage and a RunService, as the server would, without a server. */
export async function openLocalRuntime(config: Config): Promise<LocalRuntime> {
  const storage = await openStorage(config);
  const logger = pino({ level: 'silent' });
  const runService = new RunService({
    flows: new FlowStore(config.flowsDir),
    runs: new RunsRepository(storage),
    services: buildRunServices({ config, storage }),
    secrets: secretValues(config),
    logger,
  });
  return { config, storage, runService, close: () => storage.close() };
}
