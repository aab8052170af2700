/**
 * `braid serve` / `node server/main.ts`: load config, start the server, shut down
 * gracefully on SIGTERM/SIGINT.
 */
import { loadConfig, type Config } from './config';
import { createLogger, startServer } from './app';
import { warmJsonataPool } from './runtime/jsonata';

export async function serve(config: Config = loadConfig()): Promise<void> {
  const logger = createLogger(config);
  // JSONata runs in child processes: start them now, not on the first condition or transform
  warmJsonataPool();
  const server = await startServer(config, { logger });
  const { flows, problems } = await server.app.context.flows.list();
  logger.info(
    {
      url: server.url,
      flowsDir: config.flowsDir,
      flows: flows.length,
      unreadable: problems.length,
      db: server.storage.dialect,
    },
    'braid listening',
  );
  for (const p of problems) logger.warn({ file: p.file, error: p.error }, 'unreadable flow file');
  process.stdout.write(`Braid is running at ${server.url} (${flows.length} flows from ${config.flowsDir})\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

const isMain = import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('server/main.ts');
if (isMain) {
  serve().catch((err: unknown) => {
    process.stderr.write(`braid: ${(err as Error).message}\n`);
    process.exit(2);
  });
}
