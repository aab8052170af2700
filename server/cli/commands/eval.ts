/**
 * `braid eval <flow> --dataset file --map input=column --expected column --metric m…
 * --threshold "m>=x" [--concurrency n] [--out results.jsonl] [--json]`: evaluate a flow
 * over a local CSV/JSONL file with no server (storage in BRAID_DATA_DIR, or in memory
 * with --ephemeral), print a table, and exit 1 when a threshold fails.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { formatProblem } from '../../../shared/flow/index';
import type { EvaluationInfo, MetricInput, RowResult } from '../../../shared/api/evaluation';
import type { Threshold } from '../../evaluation/gate';
import { redact, secretValues } from '../../flows/redact';
import { cliConfig } from '../config';
import { CliExit, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from '../errors';
import { loadFlowRef } from '../flow-ref';
import { collect } from '../inputs';

interface EvalOpts {
  dataset: string;
  map: string[];
  expected?: string;
  output?: string;
  metric: string[];
  threshold: string[];
  concurrency: string;
  limit?: string;
  out?: string;
  bom?: boolean;
  referenceSeparator?: string;
  json?: boolean;
  ephemeral?: boolean;
  server?: string;
}

function parseMetric(m: string): MetricInput {
  const t = m.trim();
  if (t.startsWith('{')) {
    try {
      return JSON.parse(t) as MetricInput;
    } catch (e) {
      throw new CliExit(EXIT_USAGE, `--metric ${m}: not valid JSON (${(e as Error).message})`);
    }
  }
  return t as MetricInput;
}

/** The pre-run check's findings, before any row runs. */
function printCellProblems(p: NonNullable<EvaluationInfo['cellProblems']>): void {
  process.stderr.write(
    `${p.rows} row(s) have cells that do not convert to their input's type; they fail without running:\n`,
  );
  for (const f of p.first) process.stderr.write(`  row ${f.rowIdx + 1}: ${f.message}\n`);
}

/**
 * Print the report (failed rows first with their first errors, then the table; or --json) and
 * return the exit code: 1 unless the evaluation completed and passed the gate (every
 * threshold, failed_rate<=0 implied by any threshold, and never when every row failed).
 */
async function printReport(
  final: EvaluationInfo,
  failedSample: RowResult[],
  thresholds: Threshold[],
  json: boolean,
): Promise<number> {
  const { checkGate } = await import('../../evaluation/gate');
  const { failedRowsReport, summaryTable, verdict } = await import('../../evaluation/report');
  if (!final.summary)
    throw new CliExit(EXIT_FAILED, `evaluation ${final.status}${final.error ? `: ${final.error.message}` : ''}`);
  const summary = final.summary;
  const gate = checkGate(summary, thresholds);
  const passed = final.status === 'completed' && gate.passed;
  if (json) {
    // stdout stays one JSON document; the failed rows go to stderr for a person reading the CI log.
    const failed = failedRowsReport(summary, failedSample);
    if (failed.length) process.stderr.write(`${failed.join('\n')}\n`);
    const evaluation = {
      id: final.id,
      status: final.status,
      total: final.total,
      done: final.done,
      failed: final.failed,
    };
    const failedRows = failedSample.map((r) => ({ row: r.rowIdx + 1, error: r.error }));
    process.stdout.write(
      `${JSON.stringify({ evaluation, summary, failedRows, allRowsFailed: gate.allRowsFailed, thresholds: gate.results, passed }, null, 2)}\n`,
    );
  } else {
    process.stdout.write(`${summaryTable(summary, gate.results, failedSample)}\n`);
    if (final.status !== 'completed') process.stdout.write(`evaluation ${final.status}\n`);
    const line = verdict(gate);
    if (line) process.stdout.write(`${line}\n`);
  }
  return passed ? EXIT_OK : EXIT_FAILED;
}

export function register(program: Command): void {
  program
    .command('eval')
    .argument('<flow>', 'flow file path or flow id in BRAID_FLOWS_DIR')
    .description('evaluate a flow over a CSV/JSONL dataset; exit 1 when a --threshold fails')
    .requiredOption('-d, --dataset <file>', 'dataset file (.csv, .jsonl or .ndjson)')
    .option(
      '-m, --map <input=column>',
      'map a flow input to a dataset column (repeatable; same-named columns map themselves)',
      collect,
      [],
    )
    .option('-e, --expected <column>', 'the reference column (default "expected" when present)')
    .option('--output <name>', 'which flow output to score (default: the first)')
    .option(
      '--metric <name|json>',
      'a metric name (exact_match, rougeL, bleu, …) or a JSON spec (repeatable)',
      collect,
      [],
    )
    .option(
      '-t, --threshold <expr>',
      'a gate such as "exact_match>=0.8" or "latency.p95<=2000" (repeatable)',
      collect,
      [],
    )
    .option('-c, --concurrency <n>', 'rows in flight (lowered automatically on rate limits)', '8')
    .option('--limit <n>', 'only the first n rows')
    .option('-o, --out <file>', 'write per-row results (.jsonl, or .csv)')
    .option('--bom', 'start a .csv --out file with a UTF-8 BOM (for spreadsheets)')
    .option(
      '--reference-separator <text>',
      'split each reference cell on this text into several references (a CSV cell holding a JSON array needs none)',
    )
    .option('--json', 'print a JSON report on stdout instead of the table')
    .option('--ephemeral', 'keep nothing: use an in-memory database instead of BRAID_DATA_DIR')
    .option(
      '--server <url>',
      'run on a Braid server instead of locally (the flow id must exist there; BRAID_ADMIN_TOKEN is sent)',
    )
    .action(async (ref: string, opts: EvalOpts) => {
      const config = cliConfig();
      const f = await loadFlowRef(ref, config.flowsDir);
      if (!f.valid || !f.flow) {
        for (const p of f.problems) if (p.severity !== 'warning') process.stderr.write(`error  ${formatProblem(p)}\n`);
        throw new CliExit(EXIT_USAGE, `${f.file} is not a valid flow`);
      }
      const flow = f.flow;
      if (!fs.existsSync(opts.dataset)) throw new CliExit(EXIT_USAGE, `no such dataset file: ${opts.dataset}`);
      const { progressBar } = await import('../../evaluation/report');
      const { parseThreshold } = await import('../../evaluation/gate');
      let thresholds: Threshold[];
      try {
        thresholds = opts.threshold.map(parseThreshold);
      } catch (e) {
        throw new CliExit(EXIT_USAGE, (e as Error).message);
      }
      const mapping: Record<string, string> = {};
      for (const m of opts.map) {
        const i = m.indexOf('=');
        if (i <= 0) throw new CliExit(EXIT_USAGE, `--map ${m}: write input=column`);
        mapping[m.slice(0, i)] = m.slice(i + 1);
      }
      const concurrency = Number(opts.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new CliExit(EXIT_USAGE, '--concurrency must be a positive integer');
      const metrics = opts.metric.length ? opts.metric.map(parseMetric) : (['exact_match'] as MetricInput[]);

      const evalConfig = {
        mapping,
        ...(opts.expected ? { expected: opts.expected } : {}),
        ...(opts.output ? { output: opts.output } : {}),
        ...(opts.referenceSeparator !== undefined ? { referenceSeparator: opts.referenceSeparator } : {}),
        metrics,
        concurrency,
        ...(opts.limit ? { limit: Number(opts.limit) } : {}),
      };
      if (opts.server) {
        const { runRemoteEvaluation, remoteFailedRows, RemoteError } = await import('../../evaluation/remote');
        const tty = process.stderr.isTTY === true;
        let final;
        try {
          final = await runRemoteEvaluation(
            {
              server: opts.server,
              token: config.adminToken,
              onCreated: (e) => e.cellProblems && printCellProblems(e.cellProblems),
              onProgress: (e) =>
                tty && process.stderr.write(`\r${progressBar(e.done, e.total, e.failed, e.concurrency)}`),
            },
            { flowId: f.id, datasetFile: opts.dataset, config: evalConfig, out: opts.out, bom: opts.bom === true },
          );
        } catch (e) {
          if (e instanceof RemoteError) {
            const problems = (e.details as { problems?: Array<{ path: string; message: string }> } | undefined)
              ?.problems;
            throw new CliExit(
              e.status >= 400 && e.status < 500 ? EXIT_USAGE : EXIT_FAILED,
              `server: ${e.code}: ${e.message}${problems ? `\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}` : ''}`,
            );
          }
          throw e;
        }
        if (tty) process.stderr.write('\n');
        const failedSample =
          final.failed > 0 ? await remoteFailedRows({ server: opts.server, token: config.adminToken }, final.id) : [];
        process.exitCode = await printReport(final, failedSample, thresholds, opts.json === true);
        return;
      }

      const [
        { openStorage },
        { EvaluationService },
        { runFlow },
        { buildRunServices },
        { loadFlowRef: loadEvaluator },
        { MappingError },
        { DatasetError },
        { exportResults },
        { createRunTelemetry, withTelemetry, EVALUATION_LABELS },
      ] = await Promise.all([
        import('../../storage/index'),
        import('../../evaluation/service'),
        import('../../runtime/index'),
        import('../../services'),
        import('../../evaluation/flow-ref'),
        import('../../evaluation/mapping'),
        import('../../datasets/store'),
        import('../../evaluation/export'),
        import('../../telemetry/index'),
      ]);
      const storage = await openStorage(config, opts.ephemeral ? { sqliteFile: ':memory:' } : {});
      const telemetry = createRunTelemetry(config);
      const svc = new EvaluationService({
        storage,
        config,
        runServices: buildRunServices({ config, storage }),
        runFlow: async (f, i, o) =>
          redact(await runFlow(f, i, withTelemetry(o, telemetry, EVALUATION_LABELS)), secretValues(config)),
        loadFlow: (r) => loadEvaluator(r, config.flowsDir),
      });
      const onSigint = () => void svc.cancel(current?.id ?? '').catch(() => undefined);
      let current: EvaluationInfo | undefined;
      try {
        const name = path.basename(opts.dataset).replace(/\.[^.]+$/, ''); // as `braid dataset upload` and the HTTP route name it
        const existing = await svc.datasets.findByName(name);
        let imported;
        try {
          imported = await svc.datasets.importStream(
            existing ? { datasetId: existing.id } : { name },
            fs.createReadStream(opts.dataset),
            { filename: opts.dataset },
          );
        } catch (e) {
          if (e instanceof DatasetError) throw new CliExit(EXIT_USAGE, `${opts.dataset}: ${e.message}`);
          throw e;
        }
        const v = imported.version;
        if (v.badRowCount > 0) {
          process.stderr.write(`warning: ${v.badRowCount} bad row(s) skipped in ${opts.dataset}\n`);
          for (const b of v.badRows.slice(0, 10)) process.stderr.write(`  line ${b.line}: ${b.message}\n`);
        }
        try {
          current = await svc.create({
            flow,
            datasetId: imported.dataset.id,
            datasetVersionId: v.id,
            name: `${f.id} on ${name}`,
            config: evalConfig,
            // started at once (holding the run lease), so a server sharing BRAID_DATA_DIR never picks it up as queued
          });
        } catch (e) {
          if (e instanceof MappingError)
            throw new CliExit(
              EXIT_USAGE,
              `cannot evaluate:\n${e.problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
            );
          throw e;
        }
        const id = current.id;
        if (current.cellProblems) printCellProblems(current.cellProblems);
        const tty = process.stderr.isTTY === true;
        let lastPrinted = -1;
        svc.subscribe(id, (e) => {
          if (e.type !== 'progress') return;
          const line = progressBar(e.done, e.total, e.failed, e.concurrency);
          if (tty) process.stderr.write(`\r${line}`);
          else {
            const decile = Math.floor((e.done / Math.max(1, e.total)) * 10);
            if (decile !== lastPrinted) {
              lastPrinted = decile;
              process.stderr.write(`${line}\n`);
            }
          }
        });
        process.once('SIGINT', onSigint);
        const final = await svc.wait(id);
        if (tty) process.stderr.write('\n');
        if (opts.out) {
          const out = fs.createWriteStream(opts.out);
          for await (const chunk of exportResults(svc.store, id, opts.out.endsWith('.csv') ? 'csv' : 'jsonl', {
            bom: opts.bom === true,
          }))
            if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          await new Promise<void>((resolve, reject) =>
            out.end((err?: Error | null) => (err ? reject(err) : resolve())),
          );
        }
        const failedSample = final.failed > 0 ? await svc.store.results(id, { filter: 'failed', limit: 5 }) : [];
        process.exitCode = await printReport(final, failedSample, thresholds, opts.json === true);
      } finally {
        process.off('SIGINT', onSigint);
        await svc.close();
        await telemetry?.shutdown();
        await storage.close();
      }
    });
}
