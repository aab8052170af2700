/**
 * `braid` command line. Exit codes: 0 ok, 1 the flow failed, 2 bad usage or invalid flow.
 */
import { Command, CommanderError } from 'commander';
import { commandModules } from './commands/index';
import { CliExit, EXIT_FAILED, EXIT_USAGE } from './errors';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('braid')
    .description('Braid: visual LLM flow builder — run, validate and serve flows')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  for (const mod of commandModules) mod.register(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return 0;
      return EXIT_USAGE;
    }
    if (err instanceof CliExit) {
      if (err.message) process.stderr.write(`braid: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`braid: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}

const code = await main();
process.exitCode = code;
// Commands that keep serving never return here; everything else ends now.
if (process.argv[2] !== 'serve') setImmediate(() => process.exit(code));
