import type { Command } from 'commander';

/** Options of the `sweep` program that every subcommand accepts. */
export interface GlobalOptions {
  /** From `--database-url`; undefined means `DATABASE_URL`, else the embedded server. */
  databaseUrl?: string;
}

/** Reads the program-level options from inside a subcommand's action. */
export function globalOptions(command: Command): GlobalOptions {
  const options = command.optsWithGlobals() as { databaseUrl?: string };
  return { databaseUrl: options.databaseUrl };
}
