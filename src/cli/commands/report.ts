import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadSweepReportData } from '../../reports/sweep-report-data.ts';
import { writeSweepReport } from '../../reports/sweep-report.ts';
import { stateDir } from '../../paths.ts';
import { openDatabase } from '../../storage/database.ts';
import { globalOptions } from '../global-options.ts';

/** Registers `sweep report SWEEP`: the sweep's HTML and Markdown report with its charts. */
export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('Write the comparative report of a sweep: report.html (self-contained, offline), report.md and the charts as SVG and PNG')
    .argument('<sweep>', 'name of the sweep')
    .option('--out <dir>', 'folder for the report files (default: .sweep/reports/<sweep>)')
    .action(async (sweepName: string, options: { out?: string }, command: Command) => {
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl });
      try {
        const data = await loadSweepReportData(handle.db, sweepName);
        const dir = resolve(options.out ?? `${stateDir()}/reports/${safeFolderName(sweepName)}`);
        const files = await writeSweepReport(data, dir);
        process.stdout.write(`Wrote the report of sweep "${sweepName}" to ${dir}/\n  ${files.html}\n  ${files.markdown}\n  ${files.charts.length} chart files\n`);
      } finally {
        await handle.close();
      }
    });
}

/** Keeps letters, digits, dots, dashes and underscores of a sweep name, so it is one path segment. */
function safeFolderName(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_');
  return cleaned === '' ? '_' : cleaned;
}
