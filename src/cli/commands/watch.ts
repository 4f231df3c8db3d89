import type { Command } from 'commander';
import { ExitCode, InputError } from '../../errors.ts';
import { openDatabase } from '../../storage/database.ts';
import { colorEnabled, runPlainWatch } from '../../tui/plain-reporter.ts';
import { runTui, shouldUseTui } from '../../tui/run-tui.tsx';
import { globalOptions } from '../global-options.ts';

interface WatchOptions {
  /** Commander sets `tui: false` for `--no-tui`. */
  tui: boolean;
  pollInterval: string;
}

function parsePollInterval(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600) {
    throw new InputError(`--poll-interval must be a number of seconds between 0.1 and 3600, got "${text}"`);
  }
  return Math.round(seconds * 1000);
}

/**
 * Registers `sweep watch SWEEP`: the live leaderboard of a sweep that runs in
 * another process or on another host, read from PostgreSQL.
 */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('Show the live leaderboard of a running sweep (reads PostgreSQL, so the sweep may run elsewhere)')
    .argument('<sweep>', 'name of the sweep')
    .option('--no-tui', 'print one plain line per event instead of the screen (the default without a terminal)')
    .option('--poll-interval <seconds>', 'seconds between reads when notifications are unavailable', '2')
    .action(async (sweepName: string, options: WatchOptions, command: Command) => {
      const pollMs = parsePollInterval(options.pollInterval);
      const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl, poolSize: 4 });
      try {
        if (shouldUseTui({ noTui: !options.tui })) {
          const session = await runTui({ db: handle.db, url: handle.url, sweepName, mode: 'watch', pollMs });
          if ((await session.exited) === 'interrupt') {
            process.exitCode = ExitCode.interrupted;
          }
          return;
        }

        const abort = new AbortController();
        const onInterrupt = (): void => abort.abort();
        process.once('SIGINT', onInterrupt);
        process.once('SIGTERM', onInterrupt);
        try {
          await runPlainWatch({
            db: handle.db,
            url: handle.url,
            sweepName,
            pollMs,
            color: colorEnabled(process.stdout),
            write: (line) => process.stdout.write(`${line}\n`),
            signal: abort.signal,
          });
        } finally {
          process.off('SIGINT', onInterrupt);
          process.off('SIGTERM', onInterrupt);
        }
      } finally {
        await handle.close();
      }
    });
}
