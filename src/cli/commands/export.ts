import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openDatabase } from '../../storage/database.ts';
import { readLeaderboard, type LeaderboardRow } from '../../storage/leaderboard.ts';
import { globalOptions } from '../global-options.ts';
import { chooseFormat, formatRows, type ResultTable } from './sql.ts';

interface ExportOptions {
  csv?: boolean;
  json?: boolean;
  out?: string;
}

/** Leaderboard columns in export order; `params` is spread into one column per parameter. */
const fixedColumns = [
  'rank',
  'number',
  'state',
  'is_baseline',
  'test_accuracy',
  'overfitting_gap',
  'test_loss',
  'best_val_accuracy',
  'max_train_accuracy',
  'model',
  'unfreeze_layers',
  'dense_units',
  'head_lr',
  'fine_tune_lr',
  'augmentation',
  'head_epochs',
  'fine_tune_epochs',
  'total_params',
  'trainable_params_head',
  'trainable_params_fine_tune',
  'duration_seconds',
  'backend',
  'device',
  'attempt',
  'error',
  'config_hash',
  'trial_id',
  'started_at',
  'finished_at',
] as const satisfies readonly (keyof LeaderboardRow)[];

/** Registers `sweep export SWEEP`: the leaderboard as CSV or JSON, one column per parameter. */
export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('Write a sweep\'s leaderboard as CSV or JSON with every parameter as its own column')
    .argument('<sweep>', 'name of the sweep')
    .option('--csv', 'CSV with a header row (the default)')
    .option('--json', 'a JSON array of row objects (NaN and ±Infinity as strings)')
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (sweepName: string, options: ExportOptions, command: Command) => {
      const format = chooseFormat(options);
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl, poolSize: 2 });
      let text: string;
      try {
        const board = await readLeaderboard(handle.db, sweepName);
        text = formatRows(leaderboardTable(board.rows), format === 'table' ? 'csv' : format);
      } finally {
        await handle.close();
      }

      if (options.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const path = resolve(options.out);
      await writeFile(path, text);
      process.stderr.write(`Wrote the leaderboard of sweep "${sweepName}" to ${path}\n`);
    });
}

/**
 * Flattens leaderboard rows into a table: the fixed columns, then one column
 * per parameter name in first-seen order. A parameter whose name equals a fixed
 * column is named `param_<name>`. Object and array values become JSON text.
 */
export function leaderboardTable(rows: readonly LeaderboardRow[]): ResultTable {
  const fixed: readonly string[] = fixedColumns;
  const parameterColumns = new Map<string, string>();
  for (const row of rows) {
    for (const name of Object.keys(row.params)) {
      if (!parameterColumns.has(name)) {
        parameterColumns.set(name, fixed.includes(name) ? `param_${name}` : name);
      }
    }
  }

  const table: ResultTable = { columns: [...fixed, ...parameterColumns.values()], rows: [] };
  for (const row of rows) {
    const out: Record<string, unknown> = {};
    for (const column of fixedColumns) {
      out[column] = row[column];
    }
    for (const [name, column] of parameterColumns) {
      const value = row.params[name];
      if (value === undefined) {
        out[column] = null;
      } else if (typeof value === 'object' && value !== null) {
        out[column] = JSON.stringify(value);
      } else {
        out[column] = value;
      }
    }
    table.rows.push(out);
  }
  return table;
}
