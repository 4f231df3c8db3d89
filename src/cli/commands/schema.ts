import type { Command } from 'commander';
import { sweepJsonSchemaText } from '../../spec/json-schema.ts';

/** Registers `sweep schema`: prints the JSON Schema of sweep files, for editor completion. */
export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('Print the JSON Schema of sweep files (sweeps/sweep.schema.json is a copy); point your editor at it for completion')
    .action(() => {
      process.stdout.write(sweepJsonSchemaText());
    });
}
