import type { Command } from 'commander';
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
      const env: Record<string, string | undefined> = { ...process.env };
      if (opts.port !== undefined) {
        if (!/^\d+$/.test(opts.port)) throw new CliExit(EXIT_USAGE, `--port ${opts.port}: expected a number`);
        env.PORT = opts.port;
      }
      if (opts.host !== undefined) env.HOST = opts.host;
      if (opts.flows !== undefined) env.BRAID_FLOWS_DIR = opts.flows;
      const saved = process.env;
      process.env = env;
      let config;
      try {
        config = cliConfig();
      } finally {
        process.env = saved;
      }
      const { serve } = await import('../../main');
      await serve(config);
      // keep running until a signal stops the server
      await new Promise<never>(() => undefined);
    });
}
