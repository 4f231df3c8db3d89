/**
 * The resolved configuration of one trial: a sweep file's settings with every
 * parameter reference replaced by a value. The planner produces it, PostgreSQL
 * stores it as JSONB, and the trainer consumes it. Field names use snake_case
 * because they are the sweep file's own keys.
 */

/** Keras metric names accepted wherever a metric is monitored. */
export type MonitoredMetric = 'val_accuracy' | 'val_loss' | 'accuracy' | 'loss';

export interface EarlyStoppingConfig {
  monitor: MonitoredMetric;
  /** Epochs without improvement before the phase stops. */
  patience: number;
  /** Smallest change that counts as an improvement. */
  min_delta: number;
  /** Restore the weights of the best epoch when the phase ends (Keras `restore_best_weights`). */
  restore_best_weights: boolean;
}

export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';

export interface PhaseConfig {
  optimizer: OptimizerName;
  learning_rate: number;
  max_epochs: number;
  /** Absent: the phase runs all `max_epochs`. */
  early_stopping?: EarlyStoppingConfig;
}

export interface FineTunePhaseConfig extends PhaseConfig {
  /** How many of the base model's last layers are unfrozen, counted as Keras' `base.layers[-N:]`. */
  unfreeze_layers: number;
}

/**
 * Random augmentation applied per training batch. Factors follow Keras'
 * preprocessing layers: `translation` is a fraction of height and width,
 * `zoom` a fraction of the size, `rotation` a fraction of a full turn (2π).
 */
export interface AugmentationConfig {
  horizontal_flip: boolean;
  translation: number;
  zoom: number;
  rotation: number;
}

export interface DatasetConfig {
  name: 'cifar10';
  /** Folder with the official binary files; absent: `SWEEP_DATA_DIR`, then the download cache. */
  path?: string;
  /** Use only the first N images of a split, for quick runs. */
  limits?: { train?: number; test?: number };
  /** Fraction of the training images held out for validation, chosen by `training.seed`. */
  validation_split: number;
}

export interface SimpleCnnModelConfig {
  type: 'simple-cnn';
  dropout: number;
}

export interface BaseModelConfig {
  name: 'mobilenet_v2';
  alpha: number;
  /** Side of the square input in pixels; CIFAR-10's 32×32 images are resized to it. */
  input_size: number;
  /** `imagenet` (downloaded or found in `SWEEP_WEIGHTS_DIR`), `none`, or a path to weights. */
  weights: string;
}

export interface HeadConfig {
  dense_units: number;
  dropout: number;
}

export interface TransferModelConfig {
  type: 'transfer';
  base: BaseModelConfig;
  head: HeadConfig;
}

export type ModelConfig = SimpleCnnModelConfig | TransferModelConfig;

export interface TrainingConfig {
  batch_size: number;
  seed: number;
  /** Absent: no augmentation. */
  augmentation?: AugmentationConfig;
  /** Phase 1; for `simple-cnn` it is the only phase and trains the whole model. */
  head: PhaseConfig;
  /** Phase 2, transfer models only; absent or `unfreeze_layers: 0` skips it. */
  fine_tune?: FineTunePhaseConfig;
}

export interface TrialConfig {
  dataset: DatasetConfig;
  model: ModelConfig;
  training: TrainingConfig;
}

/** A value a search-space parameter can take. */
export type ParameterValue = number | string | boolean | null | { [key: string]: ParameterValue } | ParameterValue[];

/** One planned trial: its config, the parameter values that produced it, and its hash. */
export interface PlannedTrial {
  /** sha256 of the canonical config (sorted keys, normalized numbers), in hex. */
  config_hash: string;
  config: TrialConfig;
  /** The search-space values behind this trial, by parameter name; empty for the baseline. */
  params: Record<string, ParameterValue>;
  /** True for the simple-CNN baseline trial. */
  is_baseline: boolean;
}
