import * as tf from '@tensorflow/tfjs';
import { allPositions, batchPositions, imageBatch, labelBatch } from './batches.ts';
import type { ImageSplit } from './datasets/cifar10.ts';

/** Keras clips probabilities to [1e-7, 1 − 1e-7] before taking the log in categorical cross-entropy. */
const EPSILON = 1e-7;

export interface Evaluation {
  /** Mean categorical cross-entropy; NaN for an empty split. */
  loss: number;
  /** NaN for an empty split. */
  accuracy: number;
  labels: Int32Array;
  predictions: Int32Array;
  seconds: number;
}

/**
 * Runs the model in inference mode over a split, batch by batch, and returns the
 * mean cross-entropy, the accuracy and the predicted classes. Checks `signal`
 * between batches. With `inputs`, the model's inputs come from it (cached
 * activations of a frozen part) instead of the split's images.
 */
export async function evaluateSplit(
  model: tf.LayersModel,
  split: ImageSplit,
  batchSize: number,
  signal?: AbortSignal,
  inputs?: (positions: Uint32Array) => tf.Tensor[],
): Promise<Evaluation> {
  const count = split.indices.length;
  const labels = new Int32Array(count);
  const predictions = new Int32Array(count);
  let lossSum = 0;
  let correct = 0;
  const start = performance.now();

  let offset = 0;
  for (const positions of batchPositions(allPositions(count), batchSize)) {
    throwIfAborted(signal);
    const batchLabels = labelBatch(split, positions);
    const probabilities = tf.tidy(() => {
      const batch = inputs === undefined ? [imageBatch(split, positions)] : inputs(positions);
      return model.predict(batch.length === 1 ? batch[0] : batch) as tf.Tensor2D;
    });
    const values = await probabilities.data();
    probabilities.dispose();

    const classes = values.length / positions.length;
    for (let b = 0; b < positions.length; b++) {
      const row = b * classes;
      let best = 0;
      for (let c = 1; c < classes; c++) {
        if (values[row + c] > values[row + best]) {
          best = c;
        }
      }
      const label = batchLabels[b];
      const p = Math.min(1 - EPSILON, Math.max(EPSILON, values[row + label]));
      lossSum -= Math.log(p);
      correct += best === label ? 1 : 0;
      labels[offset + b] = label;
      predictions[offset + b] = best;
    }
    offset += positions.length;
  }

  return {
    loss: count === 0 ? Number.NaN : lossSum / count,
    accuracy: count === 0 ? Number.NaN : correct / count,
    labels,
    predictions,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Throws an AbortError when the signal has fired, keeping its reason as the cause. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) {
    const error = new Error('the trial was aborted', { cause: signal.reason });
    error.name = 'AbortError';
    throw error;
  }
}
