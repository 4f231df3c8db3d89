import { createHash } from 'node:crypto';
import type { ParameterValue, PlannedTrial, TrialConfig } from '../../src/spec/trial-config.ts';
import type { EpochMetrics, TrialResult } from '../../src/trainer/types.ts';

/** Builds a transfer-learning trial config with the four swept settings. */
export function transferConfig(settings: { unfreeze: number; dense: number; lr: number; flip: boolean }): TrialConfig {
  return {
    dataset: { name: 'cifar10', validation_split: 0.1 },
    model: {
      type: 'transfer',
      base: { name: 'mobilenet_v2', alpha: 0.35, input_size: 96, weights: 'imagenet' },
      head: { dense_units: settings.dense, dropout: 0.5 },
    },
    training: {
      batch_size: 128,
      seed: 1,
      augmentation: { horizontal_flip: settings.flip, translation: settings.flip ? 0.1 : 0, zoom: 0, rotation: 0 },
      head: { optimizer: 'adam', learning_rate: 5e-4, max_epochs: 10 },
      fine_tune: { optimizer: 'adam', learning_rate: settings.lr, max_epochs: 10, unfreeze_layers: settings.unfreeze },
    },
  };
}

/** Builds the simple-CNN baseline config. */
export function baselineConfig(): TrialConfig {
  return {
    dataset: { name: 'cifar10', validation_split: 0.1 },
    model: { type: 'simple-cnn', dropout: 0.5 },
    training: { batch_size: 128, seed: 1, head: { optimizer: 'adam', learning_rate: 1e-3, max_epochs: 20 } },
  };
}

/** Wraps a config as a planned trial, hashing its JSON. */
export function planned(config: TrialConfig, params: Record<string, ParameterValue>, isBaseline = false): PlannedTrial {
  const config_hash = createHash('sha256').update(JSON.stringify(config)).digest('hex');
  return { config, config_hash, params, is_baseline: isBaseline };
}

/** Builds a grid of `count` distinct transfer trials with their params. */
export function plannedGrid(count: number): PlannedTrial[] {
  const trials: PlannedTrial[] = [];
  for (let index = 0; index < count; index++) {
    const settings = { unfreeze: [0, 20, 40][index % 3], dense: [128, 256][index % 2], lr: 1e-5 * (1 + index), flip: index % 4 === 0 };
    trials.push(planned(transferConfig(settings), { unfreeze_layers: settings.unfreeze, dense_units: settings.dense, lr: settings.lr, flip: settings.flip }));
  }
  return trials;
}

/** Builds a trial result with the given headline metrics and a 3-class report. */
export function trialResult(testAccuracy: number, overfittingGap: number, overrides: Partial<TrialResult> = {}): TrialResult {
  return {
    test_accuracy: testAccuracy,
    test_loss: 0.9,
    best_val_accuracy: 0.8,
    max_train_accuracy: 0.8 + (Number.isFinite(overfittingGap) ? overfittingGap : 0),
    overfitting_gap: overfittingGap,
    phases: [
      { phase: 'head', epochs: 5, best_epoch: 4, stopped_early: true, trainable_params: 330_000, seconds: 50, images_per_second: 1000 },
      { phase: 'fine_tune', epochs: 3, best_epoch: 3, stopped_early: false, trainable_params: 900_000, seconds: 30, images_per_second: 600 },
    ],
    total_params: 2_600_000,
    class_names: ['airplane', 'automobile', 'bird'],
    per_class: [
      { class_index: 0, class_name: 'airplane', precision: 0.9, recall: 0.8, f1: 0.85, support: 10 },
      { class_index: 1, class_name: 'automobile', precision: Number.NaN, recall: 0, f1: 0, support: 10 },
      { class_index: 2, class_name: 'bird', precision: 0.5, recall: 0.7, f1: 0.58, support: 10 },
    ],
    confusion: [
      [8, 1, 1],
      [2, 0, 8],
      [3, 0, 7],
    ],
    macro_avg: { precision: 0.7, recall: 0.5, f1: 0.48 },
    weighted_avg: { precision: 0.7, recall: 0.5, f1: 0.48 },
    seconds: 85,
    inference_images_per_second: 3000,
    backend: 'cpu',
    device: 'cpu',
    files: ['model.json', 'weights.bin'],
    ...overrides,
  };
}

/** Builds the metrics of one epoch with a given validation accuracy. */
export function epochMetrics(phase: 'head' | 'fine_tune', epoch: number, valAccuracy: number): EpochMetrics {
  return {
    phase,
    epoch,
    loss: 1 / epoch,
    accuracy: 0.5 + epoch / 100,
    val_loss: 1.1 / epoch,
    val_accuracy: valAccuracy,
    learning_rate: 1e-3,
    seconds: 2.5,
    images_per_second: 900,
  };
}

/** Builds the input of createOrGetSweep for a sweep name. */
export function newSweep(name: string) {
  return { name, spec: { name }, specHash: `spec-${name}`, searchSpaceHash: 'space' };
}
