import path from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config';
import { cliConfig } from '../config';
import { CliExit, EXIT_USAGE } from '../errors';

export function register(program: Command): void {
  program
    .command('serve')
    .description('start the API and builder UI (default http://127.0.0.1:3000)')
    .option('-p, --port <port>', 'port to listen on (env PORT)')
    .option('--host <host>', 'address to bind (env HOST; non-loopback needs BRAID_ADMIN_TOKEN)')
    .option('--flows <dir>', 'flows folder (env BRAID_FLOWS_DIR)')
    .action(async (opts: { port?: string; host?: string; flows?: string }) => {
      const overrides: Partial<Config> = {};
      if (opts.port !== undefined) {
        const port = Number(opts.port);
        if (!/^\d+$/.test(opts.port) || port > 65535)
          throw new CliExit(EXIT_USAGE, `--port ${opts.port}: expected a port number`);
        overrides.port = port;
      }
      if (opts.host !== undefined) overrides.host = opts.host;
      if (opts.flows !== undefined) overrides.flowsDir = path.resolve(opts.flows);
      const config = cliConfig(overrides);
      const { serve } = await import('../../main');
      await serve(config);
      // keep running until a signal stops the server
      await new Promise<never>(() => undefined);
    });
}
