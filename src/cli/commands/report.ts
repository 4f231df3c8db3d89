import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Kysely } from 'kysely';
import { formatArtifactLocation, resolveArtifactLocation } from '../../artifacts/artifact-location.ts';
import { ArtifactPublisher } from '../../artifacts/artifact-publisher.ts';
import { openArtifactStore } from '../../artifacts/open-artifact-store.ts';
import { logger } from '../../log.ts';
import { recordArtifact } from '../../storage/artifact-repository.ts';
import type { Database } from '../../storage/schema.ts';
import type { SweepReportData } from '../../reports/sweep-report-data.ts';
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
    .option('--artifacts <location>', "where the report is stored as the sweep's artifacts: s3://bucket/prefix or a folder (default: the sweep file's artifacts, else $SWEEP_ARTIFACTS, else .sweep/artifacts)")
    .option('--no-store', 'write the files only, without storing them as artifacts')
    .action(async (sweepName: string, options: { out?: string; artifacts?: string; store: boolean }, command: Command) => {
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl });
      try {
        const data = await loadSweepReportData(handle.db, sweepName);
        const dir = resolve(options.out ?? `${stateDir()}/reports/${safeFolderName(sweepName)}`);
        const files = await writeSweepReport(data, dir);
        process.stdout.write(`Wrote the report of sweep "${sweepName}" to ${dir}/\n  ${files.html}\n  ${files.markdown}\n  ${files.charts.length} chart files\n`);
        if (options.store) {
          const names = [files.html, files.markdown, ...files.charts];
          process.stdout.write(await storeReport(handle.db, data, dir, names, options.artifacts));
        }
      } finally {
        await handle.close();
      }
    });
}

/**
 * Stores the report files as the sweep's own artifacts (`<sweep>/sweep/<file>`)
 * and records them in PostgreSQL; files the store does not take wait in the spool.
 * Returns the line to print.
 */
async function storeReport(db: Kysely<Database>, data: SweepReportData, dir: string, names: string[], flag: string | undefined): Promise<string> {
  const configured = flag !== undefined ? { value: flag, where: '--artifacts' } : data.artifacts === undefined ? undefined : { value: data.artifacts, where: 'the sweep file: artifacts' };
  const location = resolveArtifactLocation(configured);
  const store = openArtifactStore(location);
  try {
    const publisher = new ArtifactPublisher({
      store,
      recorder: { recordArtifact: async (record) => void (await recordArtifact(db, record)) },
      logger: logger(),
    });
    const owner = { sweepId: data.sweepId, sweepName: data.name, trialId: null, trialNumber: null };
    let spooled = 0;
    for (const name of names) {
      const kind = name.startsWith('report.') ? 'report' : 'plot';
      const outcome = await publisher.publish({ owner, kind, name, file: join(dir, name) });
      if (outcome.status === 'spooled') {
        spooled += 1;
      }
    }
    const where = formatArtifactLocation(location);
    if (spooled > 0) {
      return `Stored ${names.length - spooled} report files in ${where}; ${spooled} wait in the spool (sweep artifacts sync uploads them).\n`;
    }
    return `Stored the report files in ${where} (sweep artifacts ls "${data.name}/sweep" lists them).\n`;
  } finally {
    store.close();
  }
}

/** Keeps letters, digits, dots, dashes and underscores of a sweep name, so it is one path segment. */
function safeFolderName(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^\.+/, '_');
  return cleaned === '' ? '_' : cleaned;
}
