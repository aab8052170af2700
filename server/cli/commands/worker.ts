/**
 * `braid worker [--concurrency n]`: consume evaluation rows from Redis (REDIS_URL) and
 * store their results in the shared database (DATABASE_URL, or the SQLite file of an API
 * process on this machine). Runs until SIGTERM / SIGINT, which let the rows in flight
 * finish (a second signal aborts them; BullMQ puts them back for another worker).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { cliConfig } from '../config';
import { CliExit, EXIT_USAGE } from '../errors';

interface WorkerOpts {
  concurrency: string;
  lockDuration: string;
  stalledInterval: string;
}

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1)
    throw new CliExit(EXIT_USAGE, `${name} must be a positive integer`);
  return n;
}

export function register(program: Command): void {
  program
    .command('worker')
    .description('run evaluation rows queued on Redis (REDIS_URL) by Braid API processes sharing this database')
    .option('-c, --concurrency <n>', 'rows in flight in this process (lowered automatically on rate limits)', '8')
    .option('--lock-duration <ms>', 'how long a dead worker keeps its rows before another worker takes them', '10000')
    .option('--stalled-interval <ms>', 'how often to look for rows of dead workers', '5000')
    .action(async (opts: WorkerOpts) => {
      const config = cliConfig();
      const concurrency = positiveInt('--concurrency', opts.concurrency);
      const lockDurationMs = positiveInt('--lock-duration', opts.lockDuration);
      const stalledIntervalMs = positiveInt('--stalled-interval', opts.stalledInterval);
      if (!config.redisUrl)
        throw new CliExit(EXIT_USAGE, 'braid worker needs REDIS_URL (the Redis that the Braid API processes use)');
      if (!config.databaseUrl) {
        // SQLite works only when API and workers open one file (same machine, same BRAID_DATA_DIR).
        const file = path.join(config.dataDir, 'braid.db');
        if (!fs.existsSync(file))
          throw new CliExit(
            EXIT_USAGE,
            `no database at ${file}: workers need the API's database — set DATABASE_URL (PostgreSQL), or on one machine the same BRAID_DATA_DIR as the API process`,
          );
        process.stderr.write(
          `braid worker: SQLite ${file}: only API processes on this machine using this file reach this worker; use DATABASE_URL (PostgreSQL) for workers on other machines\n`,
        );
      }
      const [
        { openStorage },
        { RowQueue },
        { RowWorker },
        { EvaluationService },
        { runFlow },
        services,
        redact,
        flowRef,
        telemetryModule,
        flowStore,
      ] = await Promise.all([
        import('../../storage/index'),
        import('../../evaluation/queue'),
        import('../../evaluation/worker'),
        import('../../evaluation/service'),
        import('../../runtime/index'),
        import('../../services'),
        import('../../flows/redact'),
        import('../../evaluation/flow-ref'),
        import('../../telemetry/index'),
        import('../../flows/store'),
      ]);
      const storage = await openStorage(config);
      const queue = await RowQueue.open(config, storage);
      try {
        await queue.ready();
      } catch (e) {
        await queue.close().catch(() => undefined);
        await storage.close();
        throw new CliExit(EXIT_USAGE, (e as Error).message);
      }
      const secrets = redact.secretValues(config);
      const { withTelemetry, EVALUATION_LABELS } = telemetryModule;
      const telemetry = telemetryModule.createRunTelemetry(config);
      const deps = {
        config,
        runServices: services.buildRunServices({ config, storage }),
        runFlow: async (...[f, i, o]: Parameters<typeof runFlow>) =>
          redact.redact(await runFlow(f, i, withTelemetry(o, telemetry, EVALUATION_LABELS)), secrets),
        // Rows come from evaluations created over HTTP: flows by id from the flows folder only.
        loadFlow: flowRef.flowLoader(new flowStore.FlowStore(config.flowsDir)),
      };
      const worker = new RowWorker({ ...deps, storage, queue, concurrency, lockDurationMs, stalledIntervalMs });
      // Any process on the installation may coordinate: evaluations whose API process died are finalised here too.
      const svc = new EvaluationService({ ...deps, storage, rowQueue: queue });
      await worker.start();
      void svc.resumeOrphans().catch(() => undefined);
      process.stdout.write(
        `braid worker ${worker.name} ready: queue ${queue.prefix}, concurrency ${concurrency}, ${storage.dialect}\n`,
      );
      let signals = 0;
      await new Promise<void>((resolve) => {
        const onSignal = () => {
          if (++signals === 1) resolve();
          else void worker.close(true);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      process.stderr.write('braid worker: finishing rows in flight…\n');
      await worker.close();
      await svc.close();
      await telemetry?.shutdown();
      await queue.close();
      await storage.close();
      process.stdout.write(`braid worker ${worker.name} stopped: ${worker.stored} row(s) stored\n`);
    });
}
