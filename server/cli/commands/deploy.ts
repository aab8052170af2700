/**
 * `braid deploy <flow>`: snapshot a flow as the next version of its deployment and print
 * slug, version, url and (on the first deploy, or with --create-key) the API key, shown
 * once. Works on BRAID_DATA_DIR / DATABASE_URL directly, or on a server with --server.
 * Prints what changed since the live version, or that nothing did (then no version is stored).
 * `braid deploy <flow> --rollback <version>` makes an earlier version live again.
 */
import type { Command } from 'commander';
import { diffReport, formatProblem, summarizeSnapshotDiff } from '../../../shared/flow/index';
import type { DeployRequest, DeployResult } from '../../../shared/api/deployment';
import { cliConfig } from '../config';
import { CliExit, EXIT_FAILED, EXIT_USAGE } from '../errors';
import { loadFlowRef } from '../flow-ref';
import { collect } from '../inputs';

interface DeployOpts {
  slug?: string;
  note?: string;
  gate?: string;
  threshold: string[];
  createKey?: boolean;
  keyLabel?: string;
  rollback?: string;
  json?: boolean;
  server?: string;
}

async function remote(server: string, path: string, body: unknown, token: string | undefined): Promise<unknown> {
  const res = await fetch(new URL(path, server), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok)
    throw new CliExit(
      res.status >= 500 ? EXIT_FAILED : EXIT_USAGE,
      `server: ${json.error ? `${json.error.code}: ${json.error.message}` : `HTTP ${res.status}`}`,
    );
  return json;
}

export function register(program: Command): void {
  program
    .command('deploy')
    .argument('<flow>', 'flow file path or flow id in BRAID_FLOWS_DIR')
    .description(
      'deploy a flow as a versioned HTTP endpoint; prints slug, version, url and key (the key is shown once)',
    )
    .option('--slug <slug>', 'deployment slug (default: the flow id)')
    .option('--note <text>', 'a note stored with this version')
    .option(
      '--gate <evaluationId>',
      'refuse unless this evaluation of the same flow completed and met every --threshold',
    )
    .option('--threshold <metric op value>', 'a gate threshold, e.g. "exact_match>=0.8" (repeatable)', collect, [])
    .option('--create-key', 'create a new API key even if the deployment has one')
    .option('--key-label <label>', 'label of a created key')
    .option('--rollback <version>', 'make an earlier version live instead of deploying')
    .option('--json', 'print { slug, version, url, apiKey } as JSON')
    .option('--server <url>', 'deploy through a running Braid server (uses BRAID_ADMIN_TOKEN)')
    .action(async (ref: string, opts: DeployOpts) => {
      const config = cliConfig();
      const f = await loadFlowRef(ref, config.flowsDir);
      if (!f.valid || !f.flow) {
        for (const p of f.problems) if (p.severity !== 'warning') process.stderr.write(`error  ${formatProblem(p)}\n`);
        throw new CliExit(EXIT_USAGE, `${f.file} is not a valid flow`);
      }
      const flow = f.flow; // its id is the file's (flow-ref forces it), its closure attached
      const slug = opts.slug ?? f.id;
      const req: DeployRequest = {
        ...(opts.slug ? { slug: opts.slug } : {}),
        ...(opts.note ? { note: opts.note } : {}),
        ...(opts.gate ? { gate: { evaluationId: opts.gate, thresholds: opts.threshold } } : {}),
        ...(opts.createKey ? { createKey: true } : {}),
        ...(opts.keyLabel ? { keyLabel: opts.keyLabel } : {}),
      };
      let result: DeployResult;
      if (opts.rollback !== undefined) {
        const version = Number(opts.rollback);
        if (!Number.isInteger(version) || version < 1)
          throw new CliExit(EXIT_USAGE, '--rollback: must be a version number');
        if (opts.server)
          await remote(
            opts.server,
            `/api/deployments/${encodeURIComponent(slug)}/rollback`,
            { version },
            config.adminToken,
          );
        let flows: string[] = [];
        if (!opts.server)
          flows = await withLocal(config, async (svc) => {
            await svc.rollback(slug, version);
            return (await svc.store.version(slug, version))?.flows ?? [];
          });
        const base = opts.server ?? config.publicUrl ?? `http://${config.host}:${config.port}`;
        result = {
          slug,
          version,
          url: `${base.replace(/\/+$/, '')}/v1/endpoints/${slug}`,
          apiKey: null,
          flows,
          unchanged: false,
          previousVersion: null,
          changes: null,
        };
      } else if (opts.server) {
        result = (await remote(
          opts.server,
          `/api/flows/${encodeURIComponent(f.id)}/deployments`,
          req,
          config.adminToken,
        )) as DeployResult;
      } else {
        const base = config.publicUrl ?? `http://${config.host}:${config.port}`;
        result = await withLocal(config, (svc) => svc.deploy(flow, req, base));
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      if (result.unchanged) {
        process.stdout.write(`No changes since v${result.version}: nothing deployed (v${result.version} stays live)\n`);
        process.stdout.write(`slug     ${result.slug}\nversion  ${result.version}\nurl      ${result.url}\n`);
        if (result.apiKey)
          process.stdout.write(
            `key      ${result.apiKey}\n         (shown once: store it now; only its hash is kept)\n`,
          );
        return;
      }
      process.stdout.write(
        `slug     ${result.slug}\nversion  ${result.version}${opts.rollback !== undefined ? ' (live again)' : ''}\nurl      ${result.url}\n`,
      );
      if (result.changes && result.previousVersion !== null) {
        process.stdout.write(`changes  since v${result.previousVersion}: ${summarizeSnapshotDiff(result.changes)}\n`);
        for (const line of diffReport(result.changes)) process.stdout.write(`         ${line}\n`);
      }
      if (result.apiKey)
        process.stdout.write(`key      ${result.apiKey}\n         (shown once: store it now; only its hash is kept)\n`);
      else if (opts.rollback === undefined)
        process.stdout.write('key      (existing keys keep working; --create-key makes a new one)\n');
    });
}

async function withLocal<T>(
  config: ReturnType<typeof cliConfig>,
  fn: (svc: import('../../deployment/service').DeploymentService) => Promise<T>,
): Promise<T> {
  const { openStorage } = await import('../../storage/index');
  const { DeploymentService } = await import('../../deployment/service');
  const { DeploymentError } = await import('../../deployment/errors');
  const storage = await openStorage(config);
  try {
    return await fn(new DeploymentService(storage));
  } catch (err) {
    if (err instanceof DeploymentError)
      throw new CliExit(err.status >= 500 ? EXIT_FAILED : EXIT_USAGE, `${err.code}: ${err.message}`);
    throw err;
  } finally {
    await storage.close();
  }
}
