import type { ParameterValue } from '../spec/trial-config.ts';
import type { PhaseColumn, RankKey, SweepStatus, TrialState } from '../storage/schema.ts';

/**
 * The plain data model behind the live screen and the plain-line reporter. The
 * loader builds it from PostgreSQL; components only read it, so tests can hand
 * in a snapshot built by hand.
 */

/** One trial as the leaderboard shows it. Metrics are fractions (0.8275, not 82.75). */
export interface TrialRow {
  /** `trials.id`, a bigint kept as a string. */
  id: string;
  /** 1-based trial number within the sweep. */
  number: number;
  /** The search-space values of this trial, by parameter name; empty for the baseline. */
  params: Record<string, ParameterValue>;
  isBaseline: boolean;
  state: TrialState;
  cancelRequested: boolean;
  testAccuracy: number | null;
  overfittingGap: number | null;
  bestValAccuracy: number | null;
  /** Training time in seconds, set when the trial ends. */
  durationSeconds: number | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** Phase being trained, or the last phase trained once the trial ended. */
  phase: PhaseColumn | null;
  /** Epochs recorded in the current phase (1-based count). */
  epoch: number;
  /** `max_epochs` of the current phase, from the trial's config. */
  maxEpochs: number;
  /** Validation accuracy of every recorded epoch, head phase first; NaN where training diverged. */
  valAccuracyHistory: number[];
  error: string | null;
  device: string | null;
  backend: string | null;
  prunedAtEpoch: number | null;
}

export interface SweepInfo {
  /** `sweeps.id`, a bigint kept as a string. */
  id: string;
  name: string;
  status: SweepStatus;
  /** The sweep's ranking keys, best first (default: test accuracy desc, then gap asc). */
  ranking: RankKey[];
  createdAt: Date;
  finishedAt: Date | null;
}

export type StateCounts = Record<TrialState, number>;

export interface SweepSnapshot {
  sweep: SweepInfo;
  /** TensorFlow.js backend the trials report (`tensorflow`, `cpu`, …); null before any trial ran. */
  backend: string | null;
  /** Devices of the running trials, or of all trials once none runs. */
  devices: string[];
  counts: StateCounts;
  /** Every trial of the sweep, by trial number. */
  trials: TrialRow[];
  /** Parameter names that vary between trials, in first-seen order: the leaderboard's columns. */
  parameterNames: string[];
  startedAt: Date;
  /** When the loader read the database. */
  loadedAt: Date;
}

export const trialStates: readonly TrialState[] = ['WAITING', 'RUNNING', 'COMPLETE', 'PRUNED', 'FAIL', 'CANCELLED'];

/** Counts the trials of each state. */
export function countStates(trials: readonly TrialRow[]): StateCounts {
  const counts: StateCounts = { WAITING: 0, RUNNING: 0, COMPLETE: 0, PRUNED: 0, FAIL: 0, CANCELLED: 0 };
  for (const trial of trials) {
    counts[trial.state] += 1;
  }
  return counts;
}

/** Lists the parameter names whose values differ between trials (or that only some trials have). */
export function variedParameterNames(trials: readonly TrialRow[]): string[] {
  const firstValue = new Map<string, string>();
  const varied = new Set<string>();
  const order: string[] = [];
  let withParams = 0;
  const seenIn = new Map<string, number>();

  for (const trial of trials) {
    const names = Object.keys(trial.params);
    if (names.length === 0) {
      continue;
    }
    withParams += 1;
    for (const name of names) {
      const value = JSON.stringify(trial.params[name]);
      if (!firstValue.has(name)) {
        firstValue.set(name, value);
        order.push(name);
      } else if (firstValue.get(name) !== value) {
        varied.add(name);
      }
      seenIn.set(name, (seenIn.get(name) ?? 0) + 1);
    }
  }

  // A sweep of one trial, or with a parameter fixed everywhere, still shows its
  // parameters, because hiding every column would leave rows that look the same.
  if (varied.size === 0) {
    return order;
  }
  return order.filter((name) => varied.has(name) || seenIn.get(name) !== withParams);
}

/** Lists the devices the sweep uses: those of running trials, else those of any trial. */
export function activeDevices(trials: readonly TrialRow[]): string[] {
  const running = new Set<string>();
  const all = new Set<string>();
  for (const trial of trials) {
    if (trial.device === null) {
      continue;
    }
    all.add(trial.device);
    if (trial.state === 'RUNNING') {
      running.add(trial.device);
    }
  }
  return [...(running.size > 0 ? running : all)].sort();
}

/** Returns the backend most trials report, or null when none reported one. */
export function commonBackend(trials: readonly TrialRow[]): string | null {
  const tally = new Map<string, number>();
  for (const trial of trials) {
    if (trial.backend !== null) {
      tally.set(trial.backend, (tally.get(trial.backend) ?? 0) + 1);
    }
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [backend, count] of tally) {
    if (count > bestCount) {
      best = backend;
      bestCount = count;
    }
  }
  return best;
}

/** Whether a trial has ended and will not change again. */
export function isFinished(state: TrialState): boolean {
  return state === 'COMPLETE' || state === 'PRUNED' || state === 'FAIL' || state === 'CANCELLED';
}

/**
 * Estimates the seconds left until every trial has ended: the mean duration of
 * ended trials times the work still queued, spread over the trials running now.
 * Returns null until one trial has ended (nothing to base the estimate on), and
 * 0 when nothing is left.
 */
export function estimateRemainingSeconds(snapshot: Pick<SweepSnapshot, 'trials' | 'counts'>, now: Date): number | null {
  const { counts } = snapshot;
  if (counts.WAITING === 0 && counts.RUNNING === 0) {
    return 0;
  }

  let total = 0;
  let ended = 0;
  for (const trial of snapshot.trials) {
    if ((trial.state === 'COMPLETE' || trial.state === 'PRUNED') && trial.durationSeconds !== null && Number.isFinite(trial.durationSeconds)) {
      total += trial.durationSeconds;
      ended += 1;
    }
  }
  if (ended === 0) {
    return null;
  }
  const mean = total / ended;

  let runningLeft = 0;
  for (const trial of snapshot.trials) {
    if (trial.state === 'RUNNING') {
      const elapsed = trial.startedAt === null ? 0 : (now.getTime() - trial.startedAt.getTime()) / 1000;
      runningLeft += Math.max(0, mean - elapsed);
    }
  }
  const parallel = Math.max(1, counts.RUNNING);
  return (counts.WAITING * mean + runningLeft) / parallel;
}
