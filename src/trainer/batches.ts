import * as tf from '@tensorflow/tfjs';
import { CIFAR10_CHANNELS, CIFAR10_IMAGE_BYTES, CIFAR10_IMAGE_SIZE } from './datasets/cifar10-binary.ts';
import type { ImageSplit } from './datasets/cifar10.ts';

const PLANE = CIFAR10_IMAGE_SIZE * CIFAR10_IMAGE_SIZE;

/**
 * Converts the images at `positions` of a split (positions index `split.indices`)
 * into a float32 `[N, 32, 32, 3]` tensor with pixels in [0, 1], reordering the
 * planar file layout into NHWC. Only one batch exists as floats at a time.
 */
export function imageBatch(split: ImageSplit, positions: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(imageValues(split, positions), [positions.length, CIFAR10_IMAGE_SIZE, CIFAR10_IMAGE_SIZE, CIFAR10_CHANNELS]);
}

/** Returns the images at `positions` of a split as NHWC float32 values in [0, 1], without a tensor. */
export function imageValues(split: ImageSplit, positions: ArrayLike<number>): Float32Array {
  const count = positions.length;
  const values = new Float32Array(count * CIFAR10_IMAGE_BYTES);
  const images = split.records.images;
  for (let b = 0; b < count; b++) {
    const source = split.indices[positions[b]] * CIFAR10_IMAGE_BYTES;
    const target = b * CIFAR10_IMAGE_BYTES;
    for (let pixel = 0; pixel < PLANE; pixel++) {
      const out = target + pixel * CIFAR10_CHANNELS;
      values[out] = images[source + pixel] / 255;
      values[out + 1] = images[source + PLANE + pixel] / 255;
      values[out + 2] = images[source + 2 * PLANE + pixel] / 255;
    }
  }
  return values;
}

/** Returns the labels at `positions` of a split as integers. */
export function labelBatch(split: ImageSplit, positions: ArrayLike<number>): Int32Array {
  const labels = new Int32Array(positions.length);
  for (let b = 0; b < positions.length; b++) {
    labels[b] = split.records.labels[split.indices[positions[b]]];
  }
  return labels;
}

/** Returns one-hot float32 `[N, classes]` targets for integer labels. */
export function oneHotBatch(labels: Int32Array, classes: number): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D);
}

/** Splits `0 … count-1` (or a given order) into consecutive batches of at most `batchSize` positions. */
export function batchPositions(order: Uint32Array, batchSize: number): Uint32Array[] {
  const batches: Uint32Array[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    batches.push(order.subarray(start, Math.min(order.length, start + batchSize)));
  }
  return batches;
}

/** Returns the NHWC shape of a batch of `count` CIFAR-10 images. */
export function batchShape(count: number): [number, number, number, number] {
  return [count, CIFAR10_IMAGE_SIZE, CIFAR10_IMAGE_SIZE, CIFAR10_CHANNELS];
}

/** Returns `0 … count-1` as positions. */
export function allPositions(count: number): Uint32Array {
  const positions = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    positions[i] = i;
  }
  return positions;
}
