import type { MonitoredMetric } from '../../spec/trial-config.ts';

/**
 * Early stopping across trials. A pruner looks at the monitored metric of every
 * trial of a sweep, epoch by epoch, and decides whether the trial that just
 * finished an epoch should stop. It is a pure function of the curves it is given:
 * the scheduler reads them from PostgreSQL, so decisions hold across agents on
 * several hosts.
 */

/** The monitored metric of one trial, one value per epoch counted over both phases. */
export interface TrialCurve {
  trialId: string;
  state: 'WAITING' | 'RUNNING' | 'COMPLETE' | 'PRUNED' | 'FAIL' | 'CANCELLED';
  /** `values[i]` is the metric after epoch `i + 1`, and NaN where training diverged. */
  values: readonly number[];
}

export interface PruneDecision {
  prune: boolean;
  /** Why, in words, for the trial's log and error column. */
  reason: string;
}

export interface Pruner {
  /**
   * Decides whether `trial`, which has just finished epoch `trial.values.length`,
   * stops now. `others` are the sweep's other trials, in any state.
   */
  decide(trial: TrialCurve, others: readonly TrialCurve[]): PruneDecision;
}

/** Returns true when a larger value of the metric is better. */
export function maximizes(metric: MonitoredMetric): boolean {
  return metric === 'val_accuracy' || metric === 'accuracy';
}

/**
 * Best value up to and including epoch `epoch` (1-based), or undefined when the
 * curve is shorter. NaN values count as the worst possible value, so a diverged
 * trial never looks good.
 */
export function bestUpTo(values: readonly number[], epoch: number, maximize: boolean): number | undefined {
  if (values.length < epoch) {
    return undefined;
  }
  let best = maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (let index = 0; index < epoch; index += 1) {
    const value = values[index];
    if (Number.isNaN(value)) {
      continue;
    }
    best = maximize ? Math.max(best, value) : Math.min(best, value);
  }
  return best;
}

/** True when `value` is strictly worse than `reference` for the metric's direction. */
export function isWorse(value: number, reference: number, maximize: boolean): boolean {
  return maximize ? value < reference : value > reference;
}

export const KEEP_GOING: PruneDecision = { prune: false, reason: '' };
