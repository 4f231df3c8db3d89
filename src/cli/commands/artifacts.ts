import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseArtifactUri } from '../../artifacts/artifact-location.ts';
import type { ArtifactRecorder } from '../../artifacts/artifact-recorder.ts';
import { ArtifactSpool, defaultSpoolDir } from '../../artifacts/artifact-spool.ts';
import type { ArtifactStore } from '../../artifacts/artifact-store.ts';
import { encodeKeySegment } from '../../artifacts/artifact-key.ts';
import { openArtifactStore } from '../../artifacts/open-artifact-store.ts';
import { syncSpool } from '../../artifacts/sync-spool.ts';
import { ExitCode, InputError } from '../../errors.ts';
import { logger } from '../../log.ts';
import { listArtifacts, recordArtifact, type ArtifactRecord } from '../../storage/artifact-repository.ts';
import { openDatabase } from '../../storage/database.ts';
import type { Executor } from '../../storage/executor.ts';
import { getSweep } from '../../storage/sweep-repository.ts';
import { globalOptions } from '../global-options.ts';

const trialArgumentHelp =
  'SWEEP/N for trial N of sweep SWEEP (the split is at the last "/"), SWEEP/sweep for the sweep\'s own files such as its report, or ID or #ID for a trial\'s database id (trials.id)';

/** The files a TRIAL argument selects: one trial's, or a sweep's own. */
interface Selection {
  sweepId: string;
  sweepName: string;
  trialId: string | null;
  /** `finetune/7` or `finetune/sweep`, for messages. */
  label: string;
}

/**
 * Registers `sweep artifacts ls|get|pending|sync`: read stored trial files
 * back (checking their sha256), list the files waiting in the spool, and
 * upload them.
 */
export function registerArtifactsCommand(program: Command): void {
  const artifacts = program
    .command('artifacts')
    .description('List, download and sync the files that trials and sweeps stored (models, plots, reports, logs)');

  artifacts
    .command('ls')
    .description('List the stored files of a trial or of a sweep')
    .argument('<trial>', trialArgumentHelp)
    .option('--json', 'print the rows as JSON')
    .action(async (trial: string, options: { json?: boolean }, command: Command) => {
      await withDatabase(command, async (db) => {
        const selection = await resolveSelection(db, trial);
        const rows = await selectArtifacts(db, selection);
        if (options.json === true) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        printArtifacts(selection, rows);
      });
    });

  artifacts
    .command('get')
    .description('Download the stored files of a trial (or one of them), checking each against its recorded sha256')
    .argument('<trial>', trialArgumentHelp)
    .argument('[file]', 'name of one file as `ls` shows it, for example model/model.json (default: all files)')
    .option('--out <dir>', 'folder to write into; names with subfolders keep them (default: the current folder)')
    .action(async (trial: string, file: string | undefined, options: { out?: string }, command: Command) => {
      await withDatabase(command, async (db) => {
        const selection = await resolveSelection(db, trial);
        const rows = await selectArtifacts(db, selection);
        const chosen = file === undefined ? rows : rows.filter((row) => row.name === file);
        if (rows.length === 0) {
          throw new InputError(`${selection.label} has no stored files; \`sweep artifacts pending\` lists files still waiting in the spool`);
        }
        if (chosen.length === 0) {
          throw new InputError(`${selection.label} has no file named ${JSON.stringify(file)}; its files are: ${rows.map((row) => row.name).join(', ')}`);
        }
        await downloadArtifacts(chosen, resolve(options.out ?? '.'));
      });
    });

  artifacts
    .command('pending')
    .description('List the files waiting in the spool (.sweep/spool, or $SWEEP_HOME/spool) because their store was unreachable')
    .option('--json', 'print the spool entries as JSON')
    .action(async (options: { json?: boolean }) => {
      const listing = await new ArtifactSpool().list();
      if (options.json === true) {
        const entries = listing.entries.map((entry) => ({ ...entry.manifest, folder: entry.folder }));
        process.stdout.write(`${JSON.stringify({ entries, damaged: listing.damaged }, null, 2)}\n`);
        return;
      }
      printPending(listing);
    });

  artifacts
    .command('sync')
    .description('Upload the files waiting in the spool to their stores and record them in PostgreSQL')
    .action(async (_options: unknown, command: Command) => {
      const spool = new ArtifactSpool();
      const before = await spool.list();
      if (before.entries.length === 0) {
        process.stdout.write(`No files are waiting in the spool (${spool.dir}).\n`);
        printDamaged(before.damaged);
        return;
      }
      await withDatabase(command, async (db) => {
        const recorder: ArtifactRecorder = {
          async recordArtifact(record) {
            await recordArtifact(db, record);
          },
        };
        const result = await syncSpool({ recorder, spool, storeOptions: { logger: logger() }, logger: logger() });
        if (result.locked) {
          process.stderr.write('Another sweep process is syncing the spool right now; run `sweep artifacts sync` again when it has finished.\n');
          process.exitCode = ExitCode.failure;
          return;
        }
        process.stdout.write(`Uploaded and recorded ${count(result.uploaded.length, 'file')} from the spool.\n`);
        for (const record of result.uploaded) {
          process.stdout.write(`  ${record.uri}\n`);
        }
        if (result.pending.length > 0) {
          process.stdout.write(`${count(result.pending.length, 'file')} still waiting:\n`);
          for (const { entry, error } of result.pending) {
            process.stdout.write(`  ${ownerLabel(entry.manifest.owner)} ${entry.manifest.name}: ${error}\n`);
          }
          process.exitCode = ExitCode.failure;
        }
        printDamaged(result.damaged);
      });
    });

  // `main` sets exitOverride on top-level commands only; these nested ones need it too.
  for (const subcommand of artifacts.commands) {
    subcommand.exitOverride();
  }
}

async function withDatabase(command: Command, action: (db: Executor) => Promise<void>): Promise<void> {
  const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl, poolSize: 2 });
  try {
    await action(handle.db);
  } finally {
    await handle.close();
  }
}

/** Resolves a TRIAL argument (see `trialArgumentHelp`) against the database. */
async function resolveSelection(db: Executor, text: string): Promise<Selection> {
  const byId = /^#?(\d+)$/.exec(text);
  if (byId !== null) {
    const row = await db
      .selectFrom('trials')
      .innerJoin('sweeps', 'sweeps.id', 'trials.sweep_id')
      .select(['trials.id', 'trials.number', 'sweeps.id as sweep_id', 'sweeps.name'])
      .where('trials.id', '=', byId[1])
      .executeTakeFirst();
    if (row === undefined) {
      throw new InputError(`no trial has id ${byId[1]}; give SWEEP/N to select a trial by its number`);
    }
    return { sweepId: row.sweep_id, sweepName: row.name, trialId: row.id, label: `${row.name}/${row.number}` };
  }

  const slash = text.lastIndexOf('/');
  const sweepName = text.slice(0, slash);
  const part = text.slice(slash + 1);
  if (slash <= 0 || !(part === 'sweep' || /^\d+$/.test(part))) {
    throw new InputError(`invalid trial ${JSON.stringify(text)}; expected ${trialArgumentHelp}`);
  }
  const sweep = await getSweep(db, sweepName);
  if (part === 'sweep') {
    return { sweepId: sweep.id, sweepName: sweep.name, trialId: null, label: `${sweep.name}/sweep` };
  }

  const number = Number(part);
  const trial = await db.selectFrom('trials').select('id').where('sweep_id', '=', sweep.id).where('number', '=', number).executeTakeFirst();
  if (trial === undefined) {
    const { max } = await db.selectFrom('trials').select((eb) => eb.fn.max('number').as('max')).where('sweep_id', '=', sweep.id).executeTakeFirstOrThrow();
    const range = max === null ? 'it has no trials yet' : `its trials are numbered 1 to ${max}`;
    throw new InputError(`sweep ${JSON.stringify(sweep.name)} has no trial ${number}; ${range}`);
  }
  return { sweepId: sweep.id, sweepName: sweep.name, trialId: trial.id, label: `${sweep.name}/${number}` };
}

async function selectArtifacts(db: Executor, selection: Selection): Promise<ArtifactRecord[]> {
  if (selection.trialId !== null) {
    return listArtifacts(db, selection.sweepId, selection.trialId);
  }
  return db.selectFrom('artifacts').selectAll().where('sweep_id', '=', selection.sweepId).where('trial_id', 'is', null).orderBy('kind').orderBy('name').execute();
}

/** Downloads each artifact below `outDir`, checking it against its recorded sha256 before it is written. */
async function downloadArtifacts(rows: readonly ArtifactRecord[], outDir: string): Promise<void> {
  const stores = new Map<string, ArtifactStore>();
  try {
    for (const row of rows) {
      const { location, key } = parseArtifactUri(row.uri);
      const locationText = JSON.stringify(location);
      let store = stores.get(locationText);
      if (store === undefined) {
        store = openArtifactStore(location, { logger: logger() });
        stores.set(locationText, store);
      }
      const destination = join(outDir, ...localPathSegments(row.name));
      const read = await store.get(key, destination, { expectedSha256: row.sha256 });
      process.stdout.write(`${destination} (${formatBytes(read.bytes)}, sha256 ${read.sha256.slice(0, 12)}… verified)\n`);
    }
  } finally {
    for (const store of stores.values()) {
      store.close();
    }
  }
}

/**
 * Splits a recorded name into path segments below the output folder. Plain
 * segments are kept as they are, so `model/model.json` lands in `model/`.
 * A segment that could leave the folder (`..`, a backslash, a NUL or an empty
 * one) is percent-encoded the way keys are.
 */
function localPathSegments(name: string): string[] {
  return name.split('/').map((segment) => {
    const plain = segment !== '' && segment !== '.' && segment !== '..' && !segment.includes('\\') && !segment.includes('\0');
    return plain ? segment : encodeKeySegment(segment === '' ? '_' : segment);
  });
}

function printArtifacts(selection: Selection, rows: readonly ArtifactRecord[]): void {
  if (rows.length === 0) {
    process.stdout.write(`${selection.label} has no stored files. \`sweep artifacts pending\` lists files still waiting in the spool.\n`);
    return;
  }
  const table = rows.map((row) => [row.name, row.kind, formatBytes(Number(row.bytes)), row.sha256.slice(0, 12), row.uri]);
  process.stdout.write(`${selection.label}: ${count(rows.length, 'file')}\n`);
  process.stdout.write(formatTable(['NAME', 'KIND', 'SIZE', 'SHA256', 'URI'], table));
}

function printPending(listing: Awaited<ReturnType<ArtifactSpool['list']>>): void {
  const spoolDir = defaultSpoolDir();
  if (listing.entries.length === 0) {
    process.stdout.write(`No files are waiting in the spool (${spoolDir}).\n`);
  } else {
    process.stdout.write(`${count(listing.entries.length, 'file')} waiting in ${spoolDir}; \`sweep artifacts sync\` uploads them:\n`);
    const table = listing.entries.map(({ manifest }) => [
      ownerLabel(manifest.owner),
      manifest.name,
      formatBytes(manifest.bytes),
      manifest.spooledAt,
      manifest.location,
      manifest.reason,
    ]);
    process.stdout.write(formatTable(['TRIAL', 'NAME', 'SIZE', 'SPOOLED AT', 'STORE', 'REASON'], table));
  }
  printDamaged(listing.damaged);
}

function printDamaged(damaged: readonly { folder: string; problem: string }[]): void {
  for (const entry of damaged) {
    process.stdout.write(`Damaged spool entry ${entry.folder}: ${entry.problem}. Inspect it, then delete the folder.\n`);
  }
}

function ownerLabel(owner: { sweepName: string; trialNumber: number | null }): string {
  return `${owner.sweepName}/${owner.trialNumber ?? 'sweep'}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Formats a size with binary units: 512 B, 1.5 KiB, 11.0 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function formatTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .concat('\n');
  return [header, ...rows].map(line).join('');
}
