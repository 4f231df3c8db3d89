import type { Command } from 'commander';
import { registerAgentCommand } from './agent.ts';
import { registerArtifactsCommand } from './artifacts.ts';
import { registerCancelCommand } from './cancel.ts';
import { registerDbCommand } from './db.ts';
import { registerDoctorCommand } from './doctor.ts';
import { registerExportCommand } from './export.ts';
import { registerPlanCommand } from './plan.ts';
import { registerReportCommand } from './report.ts';
import { registerSchemaCommand } from './schema.ts';
import { registerSqlCommand } from './sql.ts';
import { registerStartCommand } from './start.ts';
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
  registerStartCommand(program);
  registerAgentCommand(program);
  registerCancelCommand(program);
  registerWatchCommand(program);
  registerDbCommand(program);
  registerSqlCommand(program);
  registerExportCommand(program);
  registerArtifactsCommand(program);
  registerDoctorCommand(program);
}
