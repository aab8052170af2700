/** Config for commands (config errors become exit code 2). */
import { ConfigError, loadConfig, type Config } from '../config';
import { CliExit, EXIT_USAGE } from './errors';

export function cliConfig(overrides: Partial<Config> = {}): Config {
  try {
    return loadConfig(undefined, overrides);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliExit(EXIT_USAGE, err.message);
    throw err;
  }
}
