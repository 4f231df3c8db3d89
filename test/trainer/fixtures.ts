import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import { CIFAR10_IMAGE_BYTES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, encodeCifar10Records } from '../../src/trainer/datasets/cifar10-binary.ts';
import type { BuildOptions, BuiltModel } from '../../src/trainer/models/model-builder.ts';
import { seededDropout } from '../../src/trainer/models/seeded-dropout.ts';
import { createRandom } from '../../src/trainer/random.ts';

/** The real CIFAR-10 copy next to the repository, for the tests that need real images. */
export const sharedCifar10Dir = new URL('../../../shared/data/cifar-10-batches-bin', import.meta.url).pathname;

/** Creates a fresh temporary folder for one test. */
export function temporaryDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `sweep-${prefix}-`));
}

/**
 * Writes a small data set in the CIFAR-10 binary layout: `perFile` records in each
 * of the five training files and `testCount` in test_batch.bin. Each class has its
 * own colour plus noise, so that a tiny model can learn it in a few epochs.
 */
export function writeCifar10Fixture(dir: string, perFile: number, testCount: number, seed = 7): void {
  mkdirSync(dir, { recursive: true });
  const random = createRandom(seed);
  const makeRecords = (count: number): Buffer => {
    const images = new Uint8Array(count * CIFAR10_IMAGE_BYTES);
    const labels = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const label = i % 10;
      labels[i] = label;
      for (let channel = 0; channel < 3; channel++) {
        const base = ((label >> channel) & 1) * 150 + (label >= 8 ? 60 : 0);
        for (let pixel = 0; pixel < 1024; pixel++) {
          images[i * CIFAR10_IMAGE_BYTES + channel * 1024 + pixel] = Math.min(255, base + Math.floor(random() * 60));
        }
      }
    }
    return encodeCifar10Records(images, labels);
  };
  for (const name of CIFAR10_TRAIN_FILES) {
    writeFileSync(join(dir, name), makeRecords(perFile));
  }
  writeFileSync(join(dir, CIFAR10_TEST_FILE), makeRecords(testCount));
}

/** A trial config for the fixtures: the simple-CNN key, one head phase of `epochs` epochs, batch 16. */
export function fixtureConfig(dataDir: string, overrides: { epochs?: number; seed?: number; limits?: { train?: number; test?: number } } = {}): TrialConfig {
  return {
    dataset: { name: 'cifar10', path: dataDir, validation_split: 0.2, limits: overrides.limits },
    model: { type: 'simple-cnn', dropout: 0.25 },
    training: {
      batch_size: 16,
      seed: overrides.seed ?? 42,
      head: { optimizer: 'adam', learning_rate: 0.01, max_epochs: overrides.epochs ?? 2 },
    },
  };
}

/**
 * A CNN small enough to train on the stock cpu kernels in seconds: two strided
 * convolutions, global average pooling, dropout and a softmax layer.
 */
export async function buildTinyCnn(_config: unknown, options: BuildOptions): Promise<BuiltModel> {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [32, 32, 3], filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }) }));
  model.add(tf.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 1 }) }));
  model.add(tf.layers.globalAveragePooling2d({}));
  model.add(seededDropout({ rate: 0.1, seed: options.seed + 2 }));
  model.add(tf.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 3 }) }));
  return {
    model,
    unfreezeLastLayers: () => {
      throw new Error('the tiny CNN has no base');
    },
  };
}

/**
 * A tiny transfer model: a functional "base" of two convolutions (plus its input
 * layer) and a dense head, with unfreezeLastLayers following the contract
 * (the last N base layers trainable, the others frozen).
 */
export async function buildTinyTransfer(_config: unknown, options: BuildOptions): Promise<BuiltModel> {
  const input = tf.input({ shape: [32, 32, 3] });
  const conv1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'base_conv1', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed }) }).apply(input) as tf.SymbolicTensor;
  const conv2 = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'base_conv2', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 1 }) }).apply(conv1) as tf.SymbolicTensor;
  const base = tf.model({ inputs: input, outputs: conv2, name: 'tiny_base' });

  const outerInput = tf.input({ shape: [32, 32, 3] });
  const features = base.apply(outerInput) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(features) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed + 2 }) }).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({ inputs: outerInput, outputs: output });

  const unfreezeLastLayers = (count: number): void => {
    base.trainable = true;
    const first = base.layers.length - count;
    base.layers.forEach((layer, index) => {
      layer.trainable = index >= first;
    });
  };
  unfreezeLastLayers(0);
  return { model, base, unfreezeLastLayers };
}
