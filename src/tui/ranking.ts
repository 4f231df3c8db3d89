import type { RankKey, TrialState } from '../storage/schema.ts';
import type { TrialRow } from './snapshot.ts';

/** Leaderboard orders the `s` key cycles through. */
export type SortMode = 'accuracy' | 'gap' | 'duration';
export const sortModes: readonly SortMode[] = ['accuracy', 'gap', 'duration'];

/** States the `f` key cycles through; `all` shows every trial. */
export type StateFilter = 'all' | TrialState;
export const stateFilters: readonly StateFilter[] = ['all', 'RUNNING', 'COMPLETE', 'FAIL', 'PRUNED', 'WAITING', 'CANCELLED'];

/** The ranking every sweep gets unless its spec says otherwise. */
export const defaultRanking: readonly RankKey[] = [
  { metric: 'test_accuracy', order: 'desc' },
  { metric: 'overfitting_gap', order: 'asc' },
];

type MetricReader = (trial: TrialRow, now: number) => number | null;

// Ranking metrics are `trials` column names, as stored in `sweeps.ranking`.
const metricReaders: Record<string, MetricReader> = {
  test_accuracy: (trial) => trial.testAccuracy,
  overfitting_gap: (trial) => trial.overfittingGap,
  best_val_accuracy: (trial) => trial.bestValAccuracy,
  duration_seconds: (trial, now) => trialSeconds(trial, now),
};

// Unranked trials (no metric yet) follow the ranked ones in this order.
const stateOrder: Record<TrialState, number> = { RUNNING: 0, PRUNED: 1, FAIL: 2, CANCELLED: 3, COMPLETE: 4, WAITING: 5 };

/** Seconds a trial has trained: its recorded duration, or the time since it started while it runs. */
export function trialSeconds(trial: TrialRow, now: number): number | null {
  if (trial.durationSeconds !== null) {
    return trial.durationSeconds;
  }
  if (trial.startedAt === null) {
    return null;
  }
  const end = trial.finishedAt?.getTime() ?? now;
  return Math.max(0, (end - trial.startedAt.getTime()) / 1000);
}

/** Returns the rank keys a sort mode uses: `accuracy` is the sweep's own ranking. */
export function rankKeysFor(mode: SortMode, sweepRanking: readonly RankKey[]): readonly RankKey[] {
  switch (mode) {
    case 'accuracy':
      return sweepRanking.length > 0 ? sweepRanking : defaultRanking;
    case 'gap':
      return [
        { metric: 'overfitting_gap', order: 'asc' },
        { metric: 'test_accuracy', order: 'desc' },
      ];
    case 'duration':
      return [
        { metric: 'duration_seconds', order: 'asc' },
        { metric: 'test_accuracy', order: 'desc' },
      ];
  }
}

function readMetric(key: RankKey, trial: TrialRow, now: number): number | null {
  const reader = metricReaders[key.metric];
  // NOTE: a ranking metric that is not one of the columns above (a custom spec
  // value) is ignored here, so the screen may order such sweeps differently.
  if (reader === undefined) {
    return null;
  }
  const value = reader(trial, now);
  return value !== null && Number.isFinite(value) ? value : null;
}

/**
 * Sorts trials by rank keys. Trials with a finite value of the first key come
 * first, in key order; the rest follow by state (running first) and number.
 * NaN and ±Infinity count as missing, so a diverged trial never ranks first.
 */
export function sortTrials(trials: readonly TrialRow[], keys: readonly RankKey[], now: number): TrialRow[] {
  const primary = keys[0];
  const hasPrimary = (trial: TrialRow): boolean => primary !== undefined && readMetric(primary, trial, now) !== null;

  return [...trials].sort((a, b) => {
    const rankedA = hasPrimary(a);
    const rankedB = hasPrimary(b);
    if (rankedA !== rankedB) {
      return rankedA ? -1 : 1;
    }
    if (rankedA) {
      for (const key of keys) {
        const order = compareMetric(readMetric(key, a, now), readMetric(key, b, now), key.order);
        if (order !== 0) {
          return order;
        }
      }
    } else if (a.state !== b.state) {
      return stateOrder[a.state] - stateOrder[b.state];
    }
    return a.number - b.number;
  });
}

function compareMetric(a: number | null, b: number | null, order: 'asc' | 'desc'): number {
  if (a === b) {
    return 0;
  }
  if (a === null) {
    return 1;
  }
  if (b === null) {
    return -1;
  }
  return order === 'asc' ? a - b : b - a;
}

/** Keeps the trials in one state; `all` keeps every trial. */
export function filterTrials(trials: readonly TrialRow[], filter: StateFilter): readonly TrialRow[] {
  if (filter === 'all') {
    return trials;
  }
  return trials.filter((trial) => trial.state === filter);
}

/**
 * Returns the best complete trial by the sweep's ranking, or null when no trial
 * has completed with a finite value of the first rank key.
 */
export function bestTrial(trials: readonly TrialRow[], sweepRanking: readonly RankKey[]): TrialRow | null {
  const keys = rankKeysFor('accuracy', sweepRanking);
  const primary = keys[0];
  let best: TrialRow | null = null;
  for (const trial of trials) {
    if (trial.state !== 'COMPLETE' || readMetric(primary, trial, 0) === null) {
      continue;
    }
    if (best === null || compareTrials(trial, best, keys) < 0) {
      best = trial;
    }
  }
  return best;
}

function compareTrials(a: TrialRow, b: TrialRow, keys: readonly RankKey[]): number {
  for (const key of keys) {
    const order = compareMetric(readMetric(key, a, 0), readMetric(key, b, 0), key.order);
    if (order !== 0) {
      return order;
    }
  }
  return a.number - b.number;
}

/** Returns the baseline trial (the lowest-numbered one when several are marked), or null. */
export function baselineTrial(trials: readonly TrialRow[]): TrialRow | null {
  let baseline: TrialRow | null = null;
  for (const trial of trials) {
    if (trial.isBaseline && (baseline === null || trial.number < baseline.number)) {
      baseline = trial;
    }
  }
  return baseline;
}

/** Returns the next value of a cycle, wrapping at the end. */
export function nextInCycle<T>(values: readonly T[], current: T): T {
  const index = values.indexOf(current);
  return values[(index + 1) % values.length];
}
