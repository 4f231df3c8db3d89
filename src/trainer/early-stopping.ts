import type * as tf from '@tensorflow/tfjs';
import type { EarlyStoppingConfig } from '../spec/trial-config.ts';
import type { EpochMetrics } from './types.ts';

type MetricField = 'val_accuracy' | 'val_loss' | 'accuracy' | 'loss';

/**
 * Keras metric names (as sweep files use them) and the names TensorFlow.js
 * gives the same metrics in its training logs, mapped to EpochMetrics fields.
 */
const monitoredFields: Readonly<Record<string, MetricField>> = {
  val_accuracy: 'val_accuracy',
  val_acc: 'val_accuracy',
  val_loss: 'val_loss',
  accuracy: 'accuracy',
  acc: 'accuracy',
  loss: 'loss',
};

/** Early-stopping progress kept between epochs and stored in checkpoints. */
export interface EarlyStoppingState {
  /** Best monitored value so far; NaN before the first finite value. */
  best: number;
  /** 1-based epoch of the best value; 0 before the first. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
}

/** Returns the EpochMetrics field a monitored metric name refers to, or throws naming the accepted names. */
export function monitoredField(name: string): MetricField {
  const field = monitoredFields[name];
  if (field === undefined) {
    throw new Error(`early_stopping.monitor must be one of val_accuracy, val_loss, accuracy, loss, got "${name}"`);
  }
  return field;
}

/**
 * Early stopping with Keras' semantics, written here because TensorFlow.js 4.22's
 * `earlyStopping` callback rejects `restoreBestWeights`. An epoch improves when
 * the monitored value beats the best by more than `min_delta` (accuracy up,
 * loss down); training stops after `patience` epochs without improvement. With
 * `restore_best_weights`, a copy of the weights of the best epoch is kept (cloned,
 * because getWeights returns the live variables) and restored when the phase ends
 * on a worse epoch, as Keras 3 does. A NaN value never improves.
 */
export class EarlyStopping {
  readonly config: EarlyStoppingConfig;
  private readonly field: MetricField;
  private readonly maximize: boolean;
  private state: EarlyStoppingState = { best: Number.NaN, bestEpoch: 0, wait: 0 };
  private bestWeights: tf.Tensor[] | undefined;

  constructor(config: EarlyStoppingConfig) {
    this.config = config;
    this.field = monitoredField(config.monitor);
    this.maximize = this.field === 'accuracy' || this.field === 'val_accuracy';
  }

  /** The EpochMetrics field this instance monitors. */
  get monitoredField(): MetricField {
    return this.field;
  }

  get current(): EarlyStoppingState {
    return { ...this.state };
  }

  /** Weights of the best epoch, when kept; owned by this instance. */
  get savedWeights(): readonly tf.Tensor[] | undefined {
    return this.bestWeights;
  }

  /**
   * Records one finished epoch; clones the model's weights when it is the best so
   * far and best weights are restored. Returns true when training should stop.
   */
  update(metrics: EpochMetrics, model: tf.LayersModel): boolean {
    const value = metrics[this.field];
    if (this.isImprovement(value)) {
      this.state = { best: value, bestEpoch: metrics.epoch, wait: 0 };
      if (this.config.restore_best_weights) {
        this.replaceBestWeights(model.getWeights().map((weight) => weight.clone()));
      }
    } else {
      this.state.wait += 1;
    }
    return this.state.wait >= this.config.patience;
  }

  /**
   * Sets the model back to the best epoch's weights when they are kept and that
   * epoch was not the last one. Returns the 1-based epoch whose weights the model holds.
   */
  restoreBest(model: tf.LayersModel, lastEpoch: number): number {
    if (!this.config.restore_best_weights || this.bestWeights === undefined || this.state.bestEpoch === lastEpoch) {
      return lastEpoch;
    }
    model.setWeights(this.bestWeights);
    return this.state.bestEpoch;
  }

  /** Continues from a checkpoint: the state and, when kept, the best weights (ownership passes here). */
  resume(state: EarlyStoppingState, bestWeights: tf.Tensor[] | undefined): void {
    this.state = { ...state };
    this.replaceBestWeights(bestWeights);
  }

  dispose(): void {
    this.replaceBestWeights(undefined);
  }

  private isImprovement(value: number): boolean {
    if (Number.isNaN(value)) {
      return false;
    }
    if (Number.isNaN(this.state.best)) {
      return true;
    }
    const delta = Math.abs(this.config.min_delta);
    return this.maximize ? value - delta > this.state.best : value + delta < this.state.best;
  }

  private replaceBestWeights(weights: tf.Tensor[] | undefined): void {
    for (const weight of this.bestWeights ?? []) {
      weight.dispose();
    }
    this.bestWeights = weights;
  }
}
