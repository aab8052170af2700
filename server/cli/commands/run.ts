import type { Command } from 'commander';
import { formatProblem } from '../../../shared/flow/index';
import { RunInputError, type RunResult } from '../../runtime/types';
import { cliConfig } from '../config';
import { CliExit, EXIT_FAILED, EXIT_OK, EXIT_USAGE, EXIT_WAITING } from '../errors';
import { loadFlowRef } from '../flow-ref';
import { collect, parseInputs } from '../inputs';
import type { RunEvent } from '../../../shared';
import { canPause } from '../../durable/journal';

interface RunOpts {
  input: string[];
  inputsJson?: string;
  json?: boolean;
  server?: string;
}

/** Text to print for a run's outputs: a lone string output as is, else JSON. */
export function formatOutputs(outputs: Record<string, unknown>): string {
  const values = Object.values(outputs);
  if (values.length === 1 && typeof values[0] === 'string') return values[0];
  return JSON.stringify(outputs, null, 2);
}

async function runRemote(
  server: string,
  flowId: string,
  inputs: Record<string, unknown>,
  token?: string,
): Promise<RunResult> {
  const url = new URL(`/api/flows/${encodeURIComponent(flowId)}/runs`, server);
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ inputs }),
  });
  const body = (await res.json().catch(() => ({}))) as RunResult & {
    error?: { code: string; message: string; details?: { problems?: unknown[] } };
  };
  if (!res.ok) {
    const msg = body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${res.status}`;
    throw new CliExit(
      res.status === 400 || res.status === 404 || res.status === 422 ? EXIT_USAGE : EXIT_FAILED,
      `server: ${msg}`,
    );
  }
  return body;
}

export function register(program: Command): void {
  program
    .command('run')
    .argument('<flow>', 'flow file path or flow id in BRAID_FLOWS_DIR')
    .description('run a flow and print its outputs (exit 1 when the run fails)')
    .option('-i, --input <name=value>', 'an input value (repeatable; non-string inputs take JSON)', collect, [])
    .option('--inputs-json <json>', 'all inputs as one JSON object (merged before --input)')
    .option('--json', 'print the whole run (runId, status, outputs, trace) as JSON')
    .option('--server <url>', 'run on a Braid server instead of locally (the flow id must exist there)')
    .action(async (ref: string, opts: RunOpts) => {
      const config = cliConfig();
      const f = await loadFlowRef(ref, config.flowsDir);
      if (!f.valid || !f.flow) {
        for (const p of f.problems) if (p.severity !== 'warning') process.stderr.write(`error  ${formatProblem(p)}\n`);
        throw new CliExit(EXIT_USAGE, `${f.file} is not a valid flow`);
      }
      const inputs = parseInputs(f.flow, opts.input, opts.inputsJson);
      let result: RunResult;
      if (opts.server) {
        result = await runRemote(opts.server, f.id, inputs, config.adminToken);
      } else {
        const { openLocalRuntime } = await import('../local');
        const local = await openLocalRuntime(config);
        const controller = new AbortController();
        const onSigint = () => controller.abort(new Error('interrupted'));
        process.once('SIGINT', onSigint);
        const streamTokens = process.stderr.isTTY && !opts.json;
        let lastNode = '';
        const onEvent = (e: RunEvent): void => {
          if (!streamTokens) return;
          if (e.type === 'token') {
            if (e.nodeId !== lastNode) process.stderr.write(`\n[${e.nodeId}] `);
            lastNode = e.nodeId;
            process.stderr.write(e.token);
          } else if (e.type === 'node_failed') {
            process.stderr.write(`\n[${e.nodeId}] failed: ${e.span.error?.message ?? 'error'}\n`);
          }
        };
        try {
          if (canPause(f.flow)) {
            // It may pause for a person: a durable run in the database, resumed by a decision
            // (Inbox or POST /api/tasks/:id) on any `braid serve` sharing that database.
            const { DurableRuns } = await import('../../durable/service');
            const { DurableStore } = await import('../../durable/store');
            const durable = new DurableRuns({
              store: new DurableStore(local.storage),
              runService: local.runService,
              runs: local.runs,
            });
            const started = await durable.startRun(f.flow, {
              source: 'cli',
              inputs,
              wait: true,
              signal: controller.signal,
              onEvent,
            });
            result = started.result!;
          } else {
            result = await local.runService.run(f.flow, inputs, { signal: controller.signal, source: 'cli', onEvent });
          }
          if (streamTokens && lastNode) process.stderr.write('\n');
        } catch (err) {
          if (err instanceof RunInputError) {
            for (const i of err.issues) process.stderr.write(`error  ${i.path}: ${i.message}\n`);
            throw new CliExit(EXIT_USAGE, 'invalid inputs (pass them with --input name=value)');
          }
          throw err;
        } finally {
          process.off('SIGINT', onSigint);
          await local.close();
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      else if (result.status === 'succeeded') process.stdout.write(`${formatOutputs(result.outputs)}\n`);
      else if (result.status === 'waiting') process.stdout.write(`${result.runId} waiting\n`);
      if (result.status === 'waiting')
        throw new CliExit(
          EXIT_WAITING,
          `run ${result.runId} is waiting for a person: decide its tasks in the Inbox (or POST /api/tasks/:id) on a braid server using this database; it resumes there`,
        );
      if (result.status !== 'succeeded') {
        const e = result.trace?.error;
        const where = e?.nodeId ? ` at node ${e.nodeId}` : '';
        throw new CliExit(
          EXIT_FAILED,
          `run ${result.status}${where}${e ? `: ${e.message}` : ''} (run id ${result.runId})`,
        );
      }
      process.exitCode = EXIT_OK;
    });
}
