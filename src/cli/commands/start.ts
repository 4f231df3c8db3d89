import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { ArtifactSpool } from '../../artifacts/artifact-spool.ts';
import type { ArtifactStore } from '../../artifacts/artifact-store.ts';
import { formatArtifactLocation, resolveArtifactLocation } from '../../artifacts/artifact-location.ts';
import { openArtifactStore } from '../../artifacts/open-artifact-store.ts';
import { syncSpool } from '../../artifacts/sync-spool.ts';
import { recordArtifact } from '../../storage/artifact-repository.ts';
import { ExitCode, InputError, InterruptedError } from '../../errors.ts';
import { loadSpecFile } from '../../spec/parse-spec.ts';
import { planTrials } from '../../planner/plan-trials.ts';
import { prepareSweep } from '../../scheduler/sweep-setup.ts';
import { openDatabase } from '../../storage/database.ts';
import { parseWorkers } from '../../scheduler/devices.ts';
import { globalOptions } from '../global-options.ts';
import type { Command } from 'commander';
import { logger } from '../../log.ts';
import { detectGpus, planDevices, type TrialIsolation } from '../../scheduler/devices.ts';
import { SweepEventEmitter, type LeaseExpiredEvent, type SweepFinishedEvent } from '../../scheduler/events.ts';
import { SweepRunner, type SweepRunSummary } from '../../scheduler/sweep-runner.ts';
import type { Database } from '../../storage/schema.ts';
import { createPruner } from '../../scheduler/pruning/index.ts';
import type { Pruner } from '../../scheduler/pruning/pruner.ts';
import type { PruningConfig } from '../../spec/sweep-spec.ts';
import type { MonitoredMetric } from '../../spec/trial-config.ts';
import type { TuiExitAction } from '../../tui/app.tsx';
import { attachPlainReporter, colorEnabled } from '../../tui/plain-reporter.ts';
import { runTui, shouldUseTui, type TuiSession } from '../../tui/run-tui.tsx';


/** Flags of `sweep start` and `sweep agent`. */
export interface RunFlags {
  workers?: string;
  tui: boolean;
  dataDir?: string;
  weightsDir?: string;
  artifacts?: string;
  leaseSeconds?: string;
}

/** Adds the flags shared by `sweep start` and `sweep agent` to a command. */
export function addRunOptions(command: Command): Command {
  return command
    .option('--workers <n>', 'trials run at once by this process: a positive integer or "auto" (one per GPU, else one per core) (default: the sweep file\'s resources.workers)')
    .option('--no-tui', 'print one plain line per event instead of the terminal UI (the default without a terminal)')
    .option('--data-dir <dir>', 'folder with the CIFAR-10 binary files (sets SWEEP_DATA_DIR)')
    .option('--weights-dir <dir>', 'folder with pretrained weights (sets SWEEP_WEIGHTS_DIR)')
    .option('--artifacts <location>', 'where trial files go: s3://bucket/prefix or a folder (default: the sweep file\'s artifacts, else $SWEEP_ARTIFACTS, else .sweep/artifacts)')
    .option('--lease-seconds <s>', 'seconds a claimed trial stays reserved without a heartbeat; a dead worker\'s trials are requeued after it (default: 30)');
}

/** Applies `--data-dir` and `--weights-dir` to the environment that trial workers inherit. */
export function applyDirectoryFlags(flags: RunFlags): void {
  if (flags.dataDir !== undefined) {
    process.env.SWEEP_DATA_DIR = resolve(flags.dataDir);
  }
  if (flags.weightsDir !== undefined) {
    process.env.SWEEP_WEIGHTS_DIR = resolve(flags.weightsDir);
  }
}

/** Parses `--lease-seconds`; undefined when the flag is absent. */
export function parseLeaseSeconds(value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new InputError(`--lease-seconds must be a positive number of seconds, got ${JSON.stringify(value)}`);
  }
  return seconds;
}

/** Registers `sweep start FILE`: plan the sweep (or resume or extend it) and train its trials. */
export function registerStartCommand(program: Command): void {
  addRunOptions(
    program
      .command('start')
      .description('Plan a sweep from its file, record its trials in PostgreSQL and train them in parallel until done; starting it again resumes it')
      .argument('<file>', 'sweep file (YAML)'),
  ).action(async (file: string, flags: RunFlags, command: Command) => {
    applyDirectoryFlags(flags);
    const leaseSeconds = parseLeaseSeconds(flags.leaseSeconds);
    const workersFlag = flags.workers === undefined ? undefined : parseWorkers(flags.workers, '--workers');
    const spec = await loadSpecFile(file);

    const handle = await openDatabase({ databaseUrl: globalOptions(command).databaseUrl });
    try {
      const prepared = await prepareSweep(handle.db, spec, (planSpec, existingHashes) => planTrials(planSpec, { existingHashes }));
      const action = prepared.created ? 'created' : 'resumed';
      const requeued = [
        prepared.resumed > 0 ? `, ${prepared.resumed} cancelled trials requeued` : '',
        prepared.retried > 0 ? `, ${prepared.retried} failed trials requeued` : '',
      ].join('');
      const extra = prepared.created ? '' : `, ${prepared.added} new trials${requeued}`;
      process.stdout.write(`sweep ${spec.name} ${action} (${prepared.created ? `${prepared.added} trials` : 'existing trials kept'}${extra})\n`);

      const artifacts = flags.artifacts !== undefined ? { value: flags.artifacts, where: '--artifacts' } : spec.artifacts === undefined ? undefined : { value: spec.artifacts.uri, where: `${spec.source_file}: artifacts` };
      await runSweepSession({
        db: handle.db,
        databaseUrl: handle.url,
        sweepId: prepared.sweepId,
        sweepName: spec.name,
        workers: workersFlag ?? spec.resources.workers,
        noTui: !flags.tui,
        ...(spec.pruning === undefined ? {} : { pruning: spec.pruning }),
        ...(artifacts === undefined ? {} : { artifacts }),
        ...(leaseSeconds === undefined ? {} : { leaseSeconds }),
      });
    } finally {
      await handle.close();
    }
  });
}

/** Options shared by `sweep start` and `sweep agent`. */
export interface SessionOptions {
  db: Kysely<Database>;
  /** Connection string, for the terminal UI's LISTEN/NOTIFY. */
  databaseUrl: string;
  sweepId: string;
  sweepName: string;
  workers: number | 'auto';
  /** `--artifacts`, else the sweep file's `artifacts:` value; absent: `SWEEP_ARTIFACTS` or `.sweep/artifacts`. */
  artifacts?: { value: string; where: string };
  noTui: boolean;
  leaseSeconds?: number;
  /** The sweep file's `pruning:` section; absent: trials are never pruned. */
  pruning?: PruningConfig;
}

/**
 * Runs a sweep in this process with the screen or plain lines, and maps Ctrl+C
 * to the runner: the first stops claiming and lets running epochs finish, the
 * second aborts running trials. Throws InterruptedError when interrupted, so
 * the CLI exits with code 130.
 */
export async function runSweepSession(options: SessionOptions): Promise<SweepRunSummary> {
  const plan = planDevices({
    workers: options.workers,
    gpus: detectGpus(),
    nativeBackend: nativeBackendInstalled(),
    isolation: isolationOverride(),
  });
  const artifacts = openStore(options.artifacts);
  await uploadSpooledFiles(options.db);
  const events = new SweepEventEmitter();
  const runner = new SweepRunner({
    db: options.db,
    sweepId: options.sweepId,
    sweepName: options.sweepName,
    plan,
    events,
    artifacts,
    spool: new ArtifactSpool(),
    ...pruningOption(options.pruning),
    ...(options.leaseSeconds === undefined ? {} : { leaseSeconds: options.leaseSeconds }),
  });

  const write = (line: string): void => {
    process.stdout.write(`${line}\n`);
  };
  const color = colorEnabled(process.stdout);
  let detachPlain: (() => void) | undefined;
  const attachPlain = (): void => {
    detachPlain ??= attachPlainLines(events, write, color);
  };

  let interrupts = 0;
  const interrupt = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      process.stderr.write('Stopping: no new trials are claimed; running trials stop after their current epoch. Press Ctrl+C again to stop them now.\n');
      runner.stop('graceful');
    } else {
      process.stderr.write('Stopping now: running trials are aborted and go back to the queue.\n');
      runner.stop('immediate');
    }
  };

  let tui: TuiSession | undefined;
  let finished: SweepFinishedEvent | undefined;
  events.once('sweep-finished', (event) => {
    finished = event;
  });
  const onSigint = (): void => {
    // While the screen is up, Ink reads Ctrl+C as a key and reports it through onQuit.
    if (tui === undefined) {
      interrupt();
    }
  };
  const onSigterm = (): void => runner.stop('immediate');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);

  let runnerDone = false;
  const running = runner.run().finally(() => {
    runnerDone = true;
  });
  try {
    if (shouldUseTui({ noTui: options.noTui })) {
      try {
        tui = await runTui({
          db: options.db,
          url: options.databaseUrl,
          sweepName: options.sweepName,
          mode: 'start',
          onQuit: (action: TuiExitAction) => {
            tui = undefined;
            if (action === 'stop') {
              runner.stop('graceful');
            } else if (action === 'interrupt') {
              interrupt();
            }
            attachPlain();
          },
        });
      } catch (error) {
        // The sweep is already running, so it goes on with plain lines instead of stopping.
        logger().warn({ err: error, sweep: options.sweepName }, 'terminal UI failed to start');
        process.stderr.write(`sweep: the terminal UI failed to start (${(error as Error).message}); printing one line per event instead\n`);
        attachPlain();
      }
    } else {
      attachPlain();
    }

    const summary = await running;
    if (tui !== undefined) {
      const screen = tui;
      tui = undefined;
      screen.close('detach');
      await screen.exited;
      // The screen was on the alternate buffer, so the final counts are printed once it is gone.
      if (finished !== undefined) {
        write(formatFinishedLine(finished));
      }
    }
    if (summary.reason === 'interrupted') {
      throw new InterruptedError(`sweep "${options.sweepName}" interrupted; run \`sweep start\` with the same file, or \`sweep agent ${options.sweepName}\`, to resume it`);
    }
    await reportFailedTrials(options.db, options.sweepId, options.sweepName, write);
    return summary;
  } finally {
    // The database closes after this returns, so the runner must have ended first.
    if (!runnerDone) {
      runner.stop('immediate');
      await running.catch(() => undefined);
    }
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    detachPlain?.();
    artifacts?.close();
  }
}

function pruningOption(config: PruningConfig | undefined): { pruning?: { pruner: Pruner; metric: MonitoredMetric } } {
  const pruner = createPruner(config);
  if (pruner === undefined || config === undefined) {
    return {};
  }
  return { pruning: { pruner, metric: config.metric } };
}

/**
 * Ends the command with exit code 1 when the sweep has failed trials, with the
 * first error and how to retry them.
 */
async function reportFailedTrials(db: Kysely<Database>, sweepId: string, sweepName: string, write: (line: string) => void): Promise<void> {
  const failed = await db
    .selectFrom('trials')
    .select(['number', 'error'])
    .where('sweep_id', '=', sweepId)
    .where('state', '=', 'FAIL')
    .orderBy('number')
    .execute();
  if (failed.length === 0) {
    return;
  }
  const first = failed[0];
  const firstLine = (first.error ?? 'no error recorded').split('\n')[0];
  write(
    `${failed.length} trials of sweep ${sweepName} failed (trial ${first.number}: ${firstLine}). ` +
      'Fix the cause and run sweep start with the same file again: it retries failed trials and keeps finished ones.',
  );
  process.exitCode = ExitCode.failure;
}

/**
 * Uploads files that earlier runs left in the spool while their store was
 * unreachable. Files whose store is still down stay there; nothing here fails the sweep.
 */
async function uploadSpooledFiles(db: Kysely<Database>): Promise<void> {
  try {
    const result = await syncSpool({
      recorder: { recordArtifact: async (record) => void (await recordArtifact(db, record)) },
      storeOptions: { logger: logger() },
      logger: logger(),
    });
    if (result.uploaded.length > 0 || result.pending.length > 0) {
      process.stdout.write(`artifact spool: uploaded ${result.uploaded.length} files, ${result.pending.length} still waiting (sweep artifacts pending lists them)\n`);
    }
  } catch (error) {
    logger().warn({ err: error }, 'syncing the artifact spool failed');
  }
}

function openStore(configured: { value: string; where: string } | undefined): ArtifactStore | undefined {
  const location = resolveArtifactLocation(configured);
  logger().info({ artifacts: formatArtifactLocation(location) }, 'artifact store');
  return openArtifactStore(location);
}

/**
 * Prints one plain line per event: the terminal UI's line reporter for trial
 * events, and its own lines for events that only the running process emits.
 */
function attachPlainLines(events: SweepEventEmitter, write: (line: string) => void, color: boolean): () => void {
  const detachTrials = attachPlainReporter(events, write, color);
  const onStarted = (event: { sweep: string; workers: number; workerId: string }): void =>
    write(`sweep ${event.sweep}: running up to ${event.workers} trials at once as ${event.workerId}`);
  const onNotice = (event: { message: string }): void => write(event.message);
  const onPruned = (event: { number: number; epochs: number; reason: string }): void => write(`trial ${event.number} pruned after ${event.epochs} epochs: ${event.reason}`);
  const onReleased = (event: { number: number; reason: string }): void => write(`trial ${event.number} back to the queue: ${event.reason}`);
  const onExpired = (event: LeaseExpiredEvent): void => {
    const owner = event.previousOwner ?? 'an unknown worker';
    const cause = event.ownerGone ? `${owner} is no longer running` : `lease of ${owner} expired`;
    write(`trial ${event.number}: ${cause}; now ${event.newState}`);
  };
  const onFinished = (event: SweepFinishedEvent): void => write(formatFinishedLine(event));
  events.on('sweep-started', onStarted);
  events.on('notice', onNotice);
  events.on('trial-released', onReleased);
  events.on('trial-pruned', onPruned);
  events.on('lease-expired', onExpired);
  events.on('sweep-finished', onFinished);
  return () => {
    detachTrials();
    events.off('sweep-started', onStarted);
    events.off('notice', onNotice);
    events.off('trial-released', onReleased);
    events.off('trial-pruned', onPruned);
    events.off('lease-expired', onExpired);
    events.off('sweep-finished', onFinished);
  };
}

function formatFinishedLine(event: SweepFinishedEvent): string {
  const counts = Object.entries(event.counts)
    .map(([state, count]) => `${count} ${state}`)
    .join(', ');
  return `sweep ${event.sweep} ${event.reason === 'done' ? 'finished' : event.reason}: ${counts}`;
}

/** True when tfjs-node or tfjs-node-gpu is installed, so trials run on a native backend in child processes. */
function nativeBackendInstalled(): boolean {
  const require = createRequire(import.meta.url);
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require.resolve(name);
      return true;
    } catch {
      // Not installed; try the next one.
    }
  }
  return false;
}

/** `SWEEP_TRIAL_ISOLATION=thread|process` overrides where trials run (for tests and debugging). */
function isolationOverride(): TrialIsolation | undefined {
  const value = process.env.SWEEP_TRIAL_ISOLATION;
  if (value === 'thread' || value === 'process') {
    return value;
  }
  return undefined;
}
