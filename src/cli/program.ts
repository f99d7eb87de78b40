import { Command, CommanderError } from 'commander';
import { CrucibleError } from '../platform/errors.js';
import { VERSION } from '../platform/version.js';
import { CliError, type GlobalOptions } from './client.js';
import { registerConfig } from './commands/config.js';
import { registerDataset } from './commands/dataset.js';
import { registerJob } from './commands/job.js';
import { registerKeys } from './commands/keys.js';
import { registerRun } from './commands/run.js';
import { registerStart } from './commands/start.js';
import { registerWorker } from './commands/worker.js';
import { registerWorkflow } from './commands/workflow.js';
import { EXIT, exitCodeForKind } from './exit-codes.js';

/** The `crucible` program; `run` parses argv and returns the exit code. */
export function buildProgram(): Command {
  const program = new Command('crucible');
  program
    .description('Crucible: a self-hosted LLMOps platform')
    .version(VERSION)
    .option('--url <url>', 'server URL (or CRUCIBLE_URL; default http://127.0.0.1:7860)')
    .option('--key <key>', 'API key (or CRUCIBLE_API_KEY; default: $CRUCIBLE_HOME/admin.key)')
    .option('--json', 'machine-readable output on stdout, nothing else there')
    .option('--quiet', 'print only what was asked for')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 refused (bad input, not found), 2 usage error, 3 server unreachable or internal error.\n\nExamples:\n  $ crucible start\n  $ crucible keys create --name ci --role editor --json\n  $ crucible --url http://crucible.internal:7860 --key $KEY keys list\n',
    )
    .exitOverride();
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerStart(program, globals);
  registerWorker(program, globals);
  registerConfig(program, globals);
  registerKeys(program, globals);
  registerJob(program, globals);
  registerDataset(program, globals);
  registerRun(program, globals);
  registerWorkflow(program, globals);
  for (const command of program.commands) command.exitOverride();
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; everything else commander refuses is a usage error.
      return ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(err.code) ? EXIT.ok : EXIT.usage;
    }
    const { message, exitCode, code } =
      err instanceof CliError
        ? err
        : err instanceof CrucibleError
          ? { message: err.message, exitCode: exitCodeForKind(err.kind), code: err.code }
          : { message: `Internal error: ${(err as Error).message}`, exitCode: EXIT.unavailable, code: 'internal_error' };
    // Details (e.g. a workflow file's findings) go with --json, so that scripts need not parse the message.
    const details = err instanceof CliError ? err.details : undefined;
    if (json) process.stdout.write(`${JSON.stringify({ error: { code, message, ...(details === undefined ? {} : { details }) } }, null, 2)}\n`);
    process.stderr.write(`Error: ${message}\n`);
    return exitCode;
  }
}
