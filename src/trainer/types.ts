import type { TrialConfig } from '../spec/trial-config.ts';

/** The two training phases. The simple CNN has only `head`, which trains the whole model. */
export type PhaseName = 'head' | 'fine_tune';

/** Metrics of one finished epoch, streamed to the caller as each epoch ends. */
export interface EpochMetrics {
  phase: PhaseName;
  /** 1-based within its phase. */
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
  learning_rate: number;
  seconds: number;
  images_per_second: number;
}

export interface ClassMetrics {
  class_index: number;
  class_name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface PhaseSummary {
  phase: PhaseName;
  /** Epochs actually run (early stopping may end a phase before `max_epochs`). */
  epochs: number;
  /** 1-based epoch whose weights were kept (the best one when they were restored). */
  best_epoch: number;
  stopped_early: boolean;
  trainable_params: number;
  seconds: number;
  images_per_second: number;
}

/** Everything one trial produced. NaN and ±Infinity are legal metric values. */
export interface TrialResult {
  test_accuracy: number;
  test_loss: number;
  best_val_accuracy: number;
  max_train_accuracy: number;
  /** max train accuracy − max validation accuracy over the whole run, both phases. */
  overfitting_gap: number;
  phases: PhaseSummary[];
  total_params: number;
  class_names: string[];
  per_class: ClassMetrics[];
  /** Row-major, `confusion[true][predicted]` = count. */
  confusion: number[][];
  macro_avg: { precision: number; recall: number; f1: number };
  weighted_avg: { precision: number; recall: number; f1: number };
  seconds: number;
  inference_images_per_second: number;
  backend: string;
  device: string;
  /** Files the trainer wrote into the output folder (model.json, weights.bin, …), relative to it. */
  files: string[];
}

/** Where a trial may save and resume weights and optimizer state between epochs. */
export interface CheckpointOptions {
  /** Folder for the checkpoint; the same folder is read back on resume. */
  dir: string;
}

export interface TrainRequest {
  config: TrialConfig;
  /** Folder that receives the trained model and other files of the trial. */
  outputDir: string;
  /** Called after each epoch, in order; the trainer awaits it before the next epoch. */
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Free-form progress and warnings for the trial log. */
  onLog?: (message: string) => void;
  /** Aborting stops training at the end of the current batch and rejects with an AbortError. */
  signal?: AbortSignal;
  checkpoint?: CheckpointOptions;
}
