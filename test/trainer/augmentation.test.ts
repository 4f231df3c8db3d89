import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { AugmentationConfig } from '../../src/spec/trial-config.ts';
import { augmentationTransforms, augmentBatch, isAugmenting } from '../../src/trainer/augmentation.ts';
import { createRandom } from '../../src/trainer/random.ts';

const full: AugmentationConfig = { horizontal_flip: true, translation: 0.1, zoom: 0.1, rotation: 0.05 };
const none: AugmentationConfig = { horizontal_flip: false, translation: 0, zoom: 0, rotation: 0 };

function ramp(): tf.Tensor4D {
  return tf.tidy(() => tf.range(0, 2 * 8 * 8 * 3).reshape([2, 8, 8, 3]).div(384) as tf.Tensor4D);
}

test('augmentation repeats for a seed', async () => {
  const images = ramp();

  const first = augmentBatch(images, full, createRandom(5));
  const again = augmentBatch(images, full, createRandom(5));
  const other = augmentBatch(images, full, createRandom(6));

  assert.deepEqual(await first.data(), await again.data());
  assert.notDeepEqual(await first.data(), await other.data());
  tf.dispose([images, first, again, other]);
});

test('augmentation changes the images', async () => {
  const images = ramp();

  const augmented = augmentBatch(images, full, createRandom(1));

  assert.notDeepEqual(await augmented.data(), await images.data());
  assert.deepEqual(augmented.shape, images.shape);
  tf.dispose([images, augmented]);
});

test('all-zero config keeps images unchanged', async () => {
  const images = ramp();

  const augmented = augmentBatch(images, none, createRandom(1));

  const difference = tf.tidy(() => tf.abs(tf.sub(augmented, images)).max().dataSync()[0]);
  assert.ok(difference < 1e-5, `max difference ${difference}`);
  assert.equal(isAugmenting(none), false);
  tf.dispose([images, augmented]);
});

test('flip mirrors the columns exactly', async () => {
  const images = ramp();
  const flipOnly: AugmentationConfig = { ...none, horizontal_flip: true };
  // The first draw of each image decides the flip (below 0.5 flips), so find a seed that flips both images.
  let seed = 0;
  for (; seed < 1000; seed++) {
    const transforms = augmentationTransforms(2, 8, 8, flipOnly, createRandom(seed));
    if (transforms[0] < 0 && transforms[8] < 0) {
      break;
    }
  }

  const augmented = augmentBatch(images, flipOnly, createRandom(seed));
  const expected = tf.image.flipLeftRight(images);

  const difference = tf.tidy(() => tf.abs(tf.sub(augmented, expected)).max().dataSync()[0]);
  assert.ok(difference < 1e-5, `max difference ${difference}`);
  tf.dispose([images, augmented, expected]);
});

test('transform ranges follow the factors', () => {
  const config: AugmentationConfig = { horizontal_flip: false, translation: 0.25, zoom: 0.5, rotation: 0 };

  const transforms = augmentationTransforms(200, 32, 32, config, createRandom(3));

  for (let i = 0; i < 200; i++) {
    const scale = transforms[i * 8];
    assert.ok(scale >= 0.5 && scale <= 1.5, `zoom ${scale}`);
    assert.equal(Math.abs(transforms[i * 8 + 1]), 0);
  }
});

test('augmentation leaks no tensors', () => {
  const images = ramp();
  const before = tf.memory().numTensors;

  augmentBatch(images, full, createRandom(1)).dispose();

  assert.equal(tf.memory().numTensors, before);
  images.dispose();
});

test('matches tf.image.transform on one image', async () => {
  const image = tf.tidy(() => tf.randomUniform([1, 12, 10, 3], 0, 1, 'float32', 9) as tf.Tensor4D);
  const config: AugmentationConfig = { horizontal_flip: true, translation: 0.3, zoom: 0.4, rotation: 0.2 };
  const transforms = augmentationTransforms(1, 12, 10, config, createRandom(11));

  const ours = augmentBatch(image, config, createRandom(11));
  const reference = tf.tidy(() => tf.image.transform(image, tf.tensor2d(transforms, [1, 8]), 'bilinear', 'reflect'));

  const difference = tf.tidy(() => tf.abs(tf.sub(ours, reference)).max().dataSync()[0]);
  assert.ok(difference < 1e-4, `max difference ${difference}`);
  tf.dispose([image, ours, reference]);
});
