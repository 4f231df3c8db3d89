import type { Kysely } from 'kysely';
import type {
  SweepEventEmitter,
  TrialCancelledEvent,
  TrialEpochEvent,
  TrialFailedEvent,
  TrialFinishedEvent,
  TrialStartedEvent,
} from '../scheduler/events.ts';
import type { Database, TrialState } from '../storage/schema.ts';
import { firstLine, formatDuration, formatGap, formatParameter, formatPercent, formatPoints } from './format.ts';
import { baselineTrial, bestTrial } from './ranking.ts';
import { isFinished, type SweepSnapshot, type TrialRow } from './snapshot.ts';
import { SweepFeed } from './sweep-feed.ts';

/**
 * The screen's stand-in without a TTY (CI, a pipe) or with `--no-tui`: one
 * plain line per event, colored only when `color` is set (never with NO_COLOR).
 */

/** Returns whether output to a stream may use color: it is a TTY and NO_COLOR is unset or empty. */
export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

const stateColors: Partial<Record<TrialState | 'started', number>> = {
  started: 36,
  COMPLETE: 32,
  FAIL: 31,
  PRUNED: 33,
  CANCELLED: 90,
};

function paint(text: string, code: number | undefined, color: boolean): string {
  return color && code !== undefined ? `\u001b[${code}m${text}\u001b[39m` : text;
}

function describeParams(params: Record<string, unknown>): string {
  const pairs = Object.entries(params).map(([name, value]) => `${name}=${formatParameter(value as never)}`);
  return pairs.length === 0 ? '' : ` (${pairs.join(', ')})`;
}

/** Formats the one-line summary printed when watching begins and when the sweep ends. */
export function formatSummaryLine(snapshot: SweepSnapshot): string {
  const { counts } = snapshot;
  const devices = snapshot.devices.length > 0 ? snapshot.devices.join(', ') : 'none yet';
  const done = counts.COMPLETE;
  return (
    `sweep ${snapshot.sweep.name} ${snapshot.sweep.status}: backend ${snapshot.backend ?? 'unknown'}, devices ${devices}; ` +
    `${snapshot.trials.length} trials: ${done} done, ${counts.RUNNING} running, ${counts.WAITING} waiting, ` +
    `${counts.FAIL} failed, ${counts.PRUNED} pruned, ${counts.CANCELLED} cancelled`
  );
}

/** Formats the best-versus-baseline line, or returns null before any trial completed. */
export function formatBestLine(snapshot: SweepSnapshot): string | null {
  const best = bestTrial(snapshot.trials, snapshot.sweep.ranking);
  if (best === null) {
    return null;
  }
  let line = `best trial ${best.number}: test accuracy ${formatPercent(best.testAccuracy)}, gap ${formatGap(best.overfittingGap)}`;
  const baseline = baselineTrial(snapshot.trials);
  if (baseline !== null && baseline.id !== best.id && baseline.testAccuracy !== null && best.testAccuracy !== null) {
    line += ` (${formatPoints(best.testAccuracy - baseline.testAccuracy)} over baseline trial ${baseline.number}, ${formatPercent(baseline.testAccuracy)})`;
  }
  return line;
}

function epochLines(before: TrialRow | undefined, after: TrialRow): string[] {
  const added = after.valAccuracyHistory.length - (before?.valAccuracyHistory.length ?? 0);
  const lines: string[] = [];
  for (let i = 0; i < added; i += 1) {
    const value = after.valAccuracyHistory[after.valAccuracyHistory.length - added + i];
    const epoch = after.epoch - (added - 1 - i);
    const where = epoch > 0 ? `epoch ${epoch}/${after.maxEpochs} ${after.phase ?? ''}`.trimEnd() : 'epoch';
    lines.push(`trial ${after.number} ${where}: val_accuracy ${formatPercent(value)}`);
  }
  return lines;
}

/**
 * Lists the event lines between two snapshots of one sweep: trials started,
 * epochs recorded, trials finished, failed, pruned or cancelled.
 */
export function diffSnapshots(before: SweepSnapshot, after: SweepSnapshot, color: boolean): string[] {
  const previous = new Map(before.trials.map((trial) => [trial.id, trial]));
  const lines: string[] = [];
  let bestBefore = bestTrial(before.trials, before.sweep.ranking);

  for (const trial of after.trials) {
    const old = previous.get(trial.id);
    const startedNow = trial.state === 'RUNNING' && (old === undefined || old.state !== 'RUNNING' || old.startedAt?.getTime() !== trial.startedAt?.getTime());
    if (startedNow) {
      const device = trial.device === null ? '' : ` on ${trial.device}`;
      lines.push(`trial ${trial.number} ${paint('started', stateColors.started, color)}${device}${describeParams(trial.params)}`);
    }
    const sameRun = old !== undefined && old.startedAt?.getTime() === trial.startedAt?.getTime();
    lines.push(...epochLines(sameRun ? old : undefined, trial));

    if (old?.state === trial.state || !isFinished(trial.state)) {
      continue;
    }
    const tint = stateColors[trial.state];
    switch (trial.state) {
      case 'COMPLETE': {
        const best = bestTrial([...(bestBefore === null ? [] : [bestBefore]), trial], after.sweep.ranking);
        const isBest = best?.id === trial.id;
        if (isBest) {
          bestBefore = trial;
        }
        lines.push(
          `trial ${trial.number} ${paint('finished', tint, color)}: test accuracy ${formatPercent(trial.testAccuracy)}, ` +
            `gap ${formatGap(trial.overfittingGap)}, ${formatDuration(trial.durationSeconds)}${isBest ? ' (best so far)' : ''}`,
        );
        break;
      }
      case 'FAIL':
        lines.push(`trial ${trial.number} ${paint('failed', tint, color)}: ${firstLine(trial.error ?? 'no error recorded')}`);
        break;
      case 'PRUNED':
        lines.push(`trial ${trial.number} ${paint('pruned', tint, color)}${trial.prunedAtEpoch === null ? '' : ` at epoch ${trial.prunedAtEpoch}`}`);
        break;
      case 'CANCELLED':
        lines.push(`trial ${trial.number} ${paint('cancelled', tint, color)}`);
        break;
    }
  }

  if (before.sweep.status !== after.sweep.status) {
    lines.push(formatSummaryLine(after));
    const best = formatBestLine(after);
    if (best !== null) {
      lines.push(best);
    }
  }
  return lines;
}

/**
 * Prints one line per event of an in-process sweep run (`sweep start --no-tui`).
 * Returns a function that stops printing.
 */
export function attachPlainReporter(emitter: SweepEventEmitter, write: (line: string) => void, color: boolean): () => void {
  const listeners = {
    'trial-started': (event: TrialStartedEvent) => {
      write(`trial ${event.number} ${paint('started', stateColors.started, color)} on ${event.device}${describeParams(event.params)}`);
    },
    epoch: (event: TrialEpochEvent) => {
      const { metrics } = event;
      write(
        `trial ${event.number} epoch ${metrics.epoch} ${metrics.phase}: accuracy ${formatPercent(metrics.accuracy)}, ` +
          `val_accuracy ${formatPercent(metrics.val_accuracy)}, ${formatDuration(metrics.seconds)}`,
      );
    },
    'trial-finished': (event: TrialFinishedEvent) => {
      write(
        `trial ${event.number} ${paint('finished', stateColors.COMPLETE, color)}: test accuracy ${formatPercent(event.testAccuracy)}, ` +
          `gap ${formatGap(event.overfittingGap)}, ${formatDuration(event.seconds)}`,
      );
    },
    'trial-failed': (event: TrialFailedEvent) => {
      const retry = event.requeued ? ' (will retry)' : '';
      write(`trial ${event.number} ${paint('failed', stateColors.FAIL, color)}${retry}: ${firstLine(event.error)}`);
    },
    'trial-cancelled': (event: TrialCancelledEvent) => {
      write(`trial ${event.number} ${paint('cancelled', stateColors.CANCELLED, color)}`);
    },
  };
  emitter.on('trial-started', listeners['trial-started']);
  emitter.on('epoch', listeners.epoch);
  emitter.on('trial-finished', listeners['trial-finished']);
  emitter.on('trial-failed', listeners['trial-failed']);
  emitter.on('trial-cancelled', listeners['trial-cancelled']);
  return () => {
    emitter.off('trial-started', listeners['trial-started']);
    emitter.off('epoch', listeners.epoch);
    emitter.off('trial-finished', listeners['trial-finished']);
    emitter.off('trial-failed', listeners['trial-failed']);
    emitter.off('trial-cancelled', listeners['trial-cancelled']);
  };
}

export interface PlainWatchOptions {
  db: Kysely<Database>;
  sweepName: string;
  url?: string;
  write: (line: string) => void;
  color: boolean;
  /** Aborting stops watching. */
  signal?: AbortSignal;
  pollMs?: number;
}

function sweepIsOver(snapshot: SweepSnapshot): boolean {
  return snapshot.sweep.status !== 'RUNNING' && snapshot.counts.RUNNING === 0;
}

/**
 * Follows a sweep and prints one line per change until the sweep has ended
 * (status no longer RUNNING and no trial running) or `signal` aborts.
 */
export async function runPlainWatch(options: PlainWatchOptions): Promise<void> {
  let previous: SweepSnapshot | null = null;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });

  const feed = new SweepFeed({
    db: options.db,
    sweepName: options.sweepName,
    url: options.url,
    pollMs: options.pollMs,
    onSnapshot: (snapshot) => {
      if (previous === null) {
        options.write(formatSummaryLine(snapshot));
        const best = formatBestLine(snapshot);
        if (best !== null) {
          options.write(best);
        }
      } else {
        for (const line of diffSnapshots(previous, snapshot, options.color)) {
          options.write(line);
        }
      }
      previous = snapshot;
      if (sweepIsOver(snapshot)) {
        finish();
      }
    },
    onError: (error) => options.write(`warning: ${error.message}`),
  });

  const onAbort = (): void => finish();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await feed.start();
    await finished;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await feed.close();
  }
}
