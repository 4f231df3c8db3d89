import type { MonitoredMetric } from '../../spec/trial-config.ts';
import { bestUpTo, isWorse, KEEP_GOING, maximizes, type PruneDecision, type Pruner, type TrialCurve } from './pruner.ts';

export interface MedianPrunerOptions {
  metric: MonitoredMetric;
  /** Epochs a trial always runs before it can be pruned. */
  min_epochs: number;
  /** Finished trials needed before any trial is pruned. */
  min_trials: number;
}

/**
 * The median rule: after epoch e, a trial stops when its best value so far is
 * worse than the median of the best values that finished trials had reached by
 * epoch e. A finished trial shorter than e (it stopped early) takes part with
 * its best value over its whole run, because early stopping means it had converged.
 */
export class MedianPruner implements Pruner {
  readonly #options: Readonly<MedianPrunerOptions>;

  constructor(options: MedianPrunerOptions) {
    if (!Number.isInteger(options.min_epochs) || options.min_epochs < 1) {
      throw new RangeError(`options.min_epochs must be a positive integer, got ${options.min_epochs}`);
    }
    if (!Number.isInteger(options.min_trials) || options.min_trials < 1) {
      throw new RangeError(`options.min_trials must be a positive integer, got ${options.min_trials}`);
    }
    this.#options = Object.freeze({ ...options });
  }

  decide(trial: TrialCurve, others: readonly TrialCurve[]): PruneDecision {
    const { metric, min_epochs: minEpochs, min_trials: minTrials } = this.#options;
    const epoch = trial.values.length;
    if (epoch < minEpochs) {
      return KEEP_GOING;
    }

    const maximize = maximizes(metric);
    const finished = others.filter((other) => other.trialId !== trial.trialId && other.state === 'COMPLETE' && other.values.length > 0);
    if (finished.length < minTrials) {
      return KEEP_GOING;
    }
    const references = finished
      .map((other) => bestUpTo(other.values, Math.min(epoch, other.values.length), maximize))
      .filter((value): value is number => value !== undefined && Number.isFinite(value));
    if (references.length === 0) {
      return KEEP_GOING;
    }

    const median = medianOf(references);
    const own = bestUpTo(trial.values, epoch, maximize) ?? Number.NaN;
    if (!Number.isFinite(own) || isWorse(own, median, maximize)) {
      return {
        prune: true,
        reason: `pruned after epoch ${epoch}: best ${metric} ${formatValue(own)} is worse than the median ${formatValue(median)} of ${references.length} finished trials`,
      };
    }
    return KEEP_GOING;
  }
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function formatValue(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}
