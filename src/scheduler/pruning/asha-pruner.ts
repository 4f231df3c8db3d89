import type { MonitoredMetric } from '../../spec/trial-config.ts';
import { bestUpTo, isWorse, KEEP_GOING, maximizes, type PruneDecision, type Pruner, type TrialCurve } from './pruner.ts';

export interface AshaPrunerOptions {
  metric: MonitoredMetric;
  /** Epoch of the first rung. */
  min_epochs: number;
  /** η: each rung keeps the best 1/η of the trials that reached it. */
  reduction_factor: number;
  /** Number of rungs, at epochs min_epochs·η^k for k = 0 … rungs − 1. */
  rungs: number;
}

/**
 * Asynchronous successive halving (ASHA; Li et al., "A System for Massively
 * Parallel Hyperparameter Tuning", MLSys 2020). When a trial reaches a rung
 * epoch, it goes on only if its best value so far is among the top 1/η of the
 * values recorded at that rung by every trial that got there, itself included.
 * With fewer than η trials at the rung, it must be the best of them. Trials are
 * never held back to wait for others, which is what makes it asynchronous.
 */
export class AshaPruner implements Pruner {
  readonly #options: Readonly<AshaPrunerOptions>;
  readonly #rungEpochs: readonly number[];

  constructor(options: AshaPrunerOptions) {
    if (!Number.isInteger(options.min_epochs) || options.min_epochs < 1) {
      throw new RangeError(`options.min_epochs must be a positive integer, got ${options.min_epochs}`);
    }
    if (!(options.reduction_factor > 1)) {
      throw new RangeError(`options.reduction_factor must be greater than 1, got ${options.reduction_factor}`);
    }
    if (!Number.isInteger(options.rungs) || options.rungs < 1) {
      throw new RangeError(`options.rungs must be a positive integer, got ${options.rungs}`);
    }
    this.#options = Object.freeze({ ...options });
    this.#rungEpochs = Object.freeze(
      Array.from({ length: options.rungs }, (_, rung) => Math.round(options.min_epochs * options.reduction_factor ** rung)),
    );
  }

  /** The epochs at which trials are compared. */
  get rungEpochs(): readonly number[] {
    return this.#rungEpochs;
  }

  decide(trial: TrialCurve, others: readonly TrialCurve[]): PruneDecision {
    const epoch = trial.values.length;
    const rung = this.#rungEpochs.indexOf(epoch);
    if (rung === -1) {
      return KEEP_GOING;
    }

    const { metric, reduction_factor: reductionFactor } = this.#options;
    const maximize = maximizes(metric);
    const own = bestUpTo(trial.values, epoch, maximize) ?? Number.NaN;
    if (!Number.isFinite(own)) {
      return { prune: true, reason: `pruned at rung ${rung + 1} (epoch ${epoch}): ${metric} is ${own}` };
    }

    // Every trial that reached this rung competes, whatever its state now.
    const worst = maximize ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    const competing = [own];
    for (const other of others) {
      if (other.trialId === trial.trialId) {
        continue;
      }
      const value = bestUpTo(other.values, epoch, maximize);
      if (value !== undefined) {
        competing.push(Number.isFinite(value) ? value : worst);
      }
    }
    competing.sort((a, b) => (maximize ? b - a : a - b));
    const kept = Math.max(1, Math.floor(competing.length / reductionFactor));
    const threshold = competing[kept - 1];

    // A value equal to the threshold goes on, so ties never prune both trials.
    if (isWorse(own, threshold, maximize)) {
      return {
        prune: true,
        reason: `pruned at rung ${rung + 1} (epoch ${epoch}): best ${metric} ${own.toFixed(4)} is not in the top ${kept} of ${competing.length} (threshold ${threshold.toFixed(4)})`,
      };
    }
    return KEEP_GOING;
  }
}
