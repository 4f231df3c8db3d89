import type { Command } from 'commander';
import { registerReportCommand } from './report.ts';
import { registerWatchCommand } from './watch.ts';

/**
 * Registers every `sweep` subcommand on the program. Each command lives in its
 * own file in this folder and exports a `register…Command(program)` function.
 */
export function registerCommands(program: Command): void {
  registerReportCommand(program);
  registerWatchCommand(program);
}
