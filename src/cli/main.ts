import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ExitCode, SweepError } from '../errors.ts';
import { logFilePath, logger } from '../log.ts';
import { registerCommands } from './commands/index.ts';

/** Builds the `sweep` program with every command registered. */
export function buildProgram(): Command {
  const program = new Command('sweep')
    .description('Plan, run and compare hyperparameter sweeps of image classifiers (TensorFlow.js).')
    .version(packageVersion(), '--version', 'print the version of sweep')
    .option('--database-url <url>', 'PostgreSQL connection string (default: $DATABASE_URL, else the embedded server in .sweep/postgres)')
    .showHelpAfterError('(run sweep --help for usage)')
    .exitOverride();
  registerCommands(program);
  for (const command of program.commands) {
    command.exitOverride();
  }
  return program;
}

/** Reads the version from the package.json at the repository's top. */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/**
 * Runs the CLI and returns the exit code. This is the only place that catches
 * errors at the top: known errors print their message, unknown ones print a
 * request to report them and leave the stack in the log file.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help text).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) {
      return ExitCode.ok;
    }
    return ExitCode.badInput;
  }
  if (error instanceof SweepError) {
    process.stderr.write(`sweep: ${error.message}\n`);
    logger().warn({ err: error }, 'command failed');
    return error.exitCode;
  }

  let logged = true;
  try {
    logger().error({ err: error }, 'unexpected error');
  } catch {
    logged = false;
  }
  const summary = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const where = logged ? `The stack trace is in ${logFilePath()}.` : 'The log file could not be written either.';
  process.stderr.write(
    `sweep: unexpected error: ${summary}\n` +
      `This is a bug in sweep. ${where} Please report it with that file and the command you ran.\n`,
  );
  return ExitCode.failure;
}
