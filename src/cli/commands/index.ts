import type { Command } from 'commander';
import { registerPlanCommand } from './plan.ts';
import { registerReportCommand } from './report.ts';
import { registerSchemaCommand } from './schema.ts';
import { registerValidateCommand } from './validate.ts';
import { registerWatchCommand } from './watch.ts';

/**
 * Registers every `sweep` subcommand on the program. Each command lives in its
 * own file in this folder and exports a `register…Command(program)` function.
 */
export function registerCommands(program: Command): void {
  registerValidateCommand(program);
  registerPlanCommand(program);
  registerSchemaCommand(program);
  registerReportCommand(program);
  registerWatchCommand(program);
}
