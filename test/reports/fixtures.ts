import type { EpochMetrics, TrialResult } from '../../src/trainer/types.ts';

export const CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Builds a plausible two-phase history: accuracy rises and validation lags behind train. */
export function makeEpochs(headEpochs: number, fineTuneEpochs: number, start = 0.3): EpochMetrics[] {
  const rows: EpochMetrics[] = [];
  const phases: [EpochMetrics['phase'], number][] = [['head', headEpochs], ['fine_tune', fineTuneEpochs]];
  let step = 0;
  for (const [phase, count] of phases) {
    for (let epoch = 1; epoch <= count; epoch += 1) {
      step += 1;
      const accuracy = Math.min(0.99, start + 0.06 * step);
      rows.push({
        phase,
        epoch,
        loss: 2 - 0.15 * step,
        accuracy,
        val_loss: 2.1 - 0.12 * step,
        val_accuracy: accuracy - 0.02 * step,
        learning_rate: phase === 'head' ? 5e-4 : 1e-5,
        seconds: 1.5,
        images_per_second: 100,
      });
    }
  }
  return rows;
}

/** Builds a confusion matrix with `correct` on the diagonal and cat and dog mixed up `catDog` times each way. */
export function makeConfusion(correct: number, catDog: number): number[][] {
  return CLASS_NAMES.map((_, row) =>
    CLASS_NAMES.map((__, column) => {
      if (row === column) {
        return correct;
      }
      if ((row === 3 && column === 5) || (row === 5 && column === 3)) {
        return catDog;
      }
      return row === (column + 1) % 10 ? 1 : 0;
    }),
  );
}

export function makeResult(testAccuracy: number, gap: number, confusion: number[][]): TrialResult {
  const perClass = CLASS_NAMES.map((name, index) => ({ class_index: index, class_name: name, precision: 0.8, recall: 0.7, f1: 0.75, support: 100 }));
  return {
    test_accuracy: testAccuracy,
    test_loss: 0.9,
    best_val_accuracy: 0.7,
    max_train_accuracy: 0.7 + gap,
    overfitting_gap: gap,
    phases: [
      { phase: 'head', epochs: 3, best_epoch: 2, stopped_early: true, trainable_params: 1000, seconds: 4, images_per_second: 100 },
      { phase: 'fine_tune', epochs: 2, best_epoch: 2, stopped_early: false, trainable_params: 5000, seconds: 3, images_per_second: 80 },
    ],
    total_params: 10_000,
    class_names: CLASS_NAMES,
    per_class: perClass,
    confusion,
    macro_avg: { precision: 0.8, recall: 0.7, f1: 0.75 },
    weighted_avg: { precision: 0.8, recall: 0.7, f1: 0.75 },
    seconds: 7,
    inference_images_per_second: 500,
    backend: 'cpu',
    device: 'cpu',
    files: [],
  };
}
