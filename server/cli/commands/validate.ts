import type { Command } from 'commander';
import { formatProblem } from '../../../shared/flow/index';
import { cliConfig } from '../config';
import { CliExit, EXIT_USAGE } from '../errors';
import { loadFlowRef } from '../flow-ref';

export function register(program: Command): void {
  program
    .command('validate')
    .argument('<flow>', 'flow file path or flow id in BRAID_FLOWS_DIR')
    .description('check a flow and print every problem with its node id and JSON path (exit 2 when invalid)')
    .option('--json', 'print { valid, problems } as JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const config = cliConfig();
      const f = await loadFlowRef(ref, config.flowsDir);
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ id: f.id, file: f.file, valid: f.valid, problems: f.problems }, null, 2)}\n`,
        );
      } else {
        for (const p of f.problems)
          process.stdout.write(`${p.severity === 'warning' ? 'warning' : 'error  '}  ${formatProblem(p)}\n`);
        const errors = f.problems.filter((p) => p.severity !== 'warning').length;
        const warnings = f.problems.length - errors;
        if (f.valid) process.stdout.write(`✓ ${f.file} is valid${warnings ? ` (${warnings} warning(s))` : ''}\n`);
        else process.stdout.write(`✗ ${f.file}: ${errors} problem(s)\n`);
      }
      if (!f.valid) throw new CliExit(EXIT_USAGE, '');
    });
}
