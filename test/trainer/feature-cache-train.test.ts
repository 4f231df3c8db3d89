import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import { loadCifar10 } from '../../src/trainer/datasets/cifar10.ts';
import { evaluateSplit } from '../../src/trainer/evaluate.ts';
import { loadModel } from '../../src/trainer/model-io.ts';
import { train } from '../../src/trainer/train.ts';
import type { EpochMetrics, TrialResult } from '../../src/trainer/types.ts';
import { temporaryDir, writeCifar10Fixture } from './fixtures.ts';

/** Losses with and without the cache may differ only by float32 rounding. */
const TOLERANCE = 1e-5;

let dataDir: string;
let cacheRoot: string;
const savedEnv = { cache: process.env.SWEEP_FEATURE_CACHE, cacheDir: process.env.SWEEP_CACHE_DIR };

before(async () => {
  dataDir = await temporaryDir('feature-cache-data');
  writeCifar10Fixture(dataDir, 8, 12);
  cacheRoot = await temporaryDir('feature-cache-root');
  process.env.SWEEP_CACHE_DIR = cacheRoot;
});

after(() => {
  restoreEnv('SWEEP_FEATURE_CACHE', savedEnv.cache);
  restoreEnv('SWEEP_CACHE_DIR', savedEnv.cacheDir);
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) {
    delete process.env[name];
  } else {
    process.env[name] = value;
  }
}

/** Returns a config for a tiny MobileNetV2 (alpha 0.35, 32 pixels, random weights) with a seeded dropout head and, optionally, fine-tuning. */
function tinyTransferConfig(options: { denseUnits?: number; unfreeze?: number; augment?: boolean } = {}): TrialConfig {
  return {
    dataset: { name: 'cifar10', path: dataDir, validation_split: 0.25 },
    model: { type: 'transfer', base: { name: 'mobilenet_v2', alpha: 0.35, input_size: 32, weights: 'none' }, head: { dense_units: options.denseUnits ?? 16, dropout: 0.5 } },
    training: {
      batch_size: 8,
      seed: 17,
      augmentation: options.augment === true ? { horizontal_flip: true, translation: 0.1, zoom: 0, rotation: 0 } : undefined,
      head: { optimizer: 'adam', learning_rate: 0.01, max_epochs: 2 },
      fine_tune: options.unfreeze === undefined ? undefined : { optimizer: 'adam', learning_rate: 0.001, max_epochs: 2, unfreeze_layers: options.unfreeze },
    },
  };
}

async function runTrial(config: TrialConfig, cache: 'on' | 'off'): Promise<{ result: TrialResult; epochs: EpochMetrics[]; logs: string[]; outputDir: string }> {
  process.env.SWEEP_FEATURE_CACHE = cache;
  const epochs: EpochMetrics[] = [];
  const logs: string[] = [];
  const outputDir = await temporaryDir('feature-cache-out');
  const result = await train({
    config,
    outputDir,
    onEpoch: (metrics) => {
      epochs.push(metrics);
    },
    onLog: (message) => logs.push(message),
  });
  return { result, epochs, logs, outputDir };
}

function assertSameMetrics(actual: { result: TrialResult; epochs: EpochMetrics[] }, expected: { result: TrialResult; epochs: EpochMetrics[] }): void {
  assert.equal(actual.epochs.length, expected.epochs.length);
  for (const [index, epoch] of expected.epochs.entries()) {
    const where = `${epoch.phase} epoch ${epoch.epoch}`;
    for (const field of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
      const difference = Math.abs(actual.epochs[index][field] - epoch[field]);
      assert.ok(difference <= TOLERANCE, `${where} ${field}: ${actual.epochs[index][field]} vs ${epoch[field]}`);
    }
  }
  assert.ok(Math.abs(actual.result.test_loss - expected.result.test_loss) <= TOLERANCE, `test_loss: ${actual.result.test_loss} vs ${expected.result.test_loss}`);
  assert.equal(actual.result.test_accuracy, expected.result.test_accuracy);
}

describe('feature cache in train', () => {
  test('head and fine-tuning losses match without cache', async () => {
    // 19 unfrozen layers cut MobileNetV2 at two tensors: block_15_expand and the residual block_14_add.
    const config = tinyTransferConfig({ unfreeze: 19 });

    const uncached = await runTrial(config, 'off');
    const miss = await runTrial(config, 'on');
    const hit = await runTrial(config, 'on');

    assertSameMetrics(miss, uncached);
    assertSameMetrics(hit, uncached);
    assert.match(uncached.logs.join('\n'), /feature cache: off/);
    assert.match(miss.logs.join('\n'), /feature cache miss \(computed\) for the training and validation images: 40 images × global_average_pooling2d \[1280\]/);
    assert.match(miss.logs.join('\n'), /feature cache miss \(computed\) for the training and validation images: 40 images × block_15_expand \[1×1×336\] \+ block_14_add \[1×1×56\]/);
    assert.match(hit.logs.join('\n'), /feature cache hit for the training and validation images/);
    assert.match(hit.logs.join('\n'), /feature cache hit for the test images/);
    assert.doesNotMatch(hit.logs.join('\n'), /feature cache miss/);
  });

  test('another head size reuses the pooled features', async () => {
    await runTrial(tinyTransferConfig({ denseUnits: 16 }), 'on');

    const other = await runTrial(tinyTransferConfig({ denseUnits: 4 }), 'on');
    const uncached = await runTrial(tinyTransferConfig({ denseUnits: 4 }), 'off');

    assert.match(other.logs.join('\n'), /feature cache hit for the training and validation images/);
    assertSameMetrics(other, uncached);
  });

  test('cached trial saves a loadable model', async () => {
    const config = tinyTransferConfig({ unfreeze: 19 });
    await runTrial(config, 'on');
    const tensorsBefore = tf.memory().numTensors;

    const { result, logs, outputDir } = await runTrial(config, 'on');
    const tensorsAfter = tf.memory().numTensors;
    const model = await loadModel(outputDir);
    const data = await loadCifar10(config.dataset, config.training.seed);
    const evaluation = await evaluateSplit(model, data.test, config.training.batch_size);

    assert.match(logs.join('\n'), /feature cache hit for the test images/);
    assert.equal(tensorsAfter, tensorsBefore);
    assert.equal(model.countParams(), result.total_params);
    assert.equal(evaluation.accuracy, result.test_accuracy);
    assert.ok(Math.abs(evaluation.loss - result.test_loss) <= TOLERANCE, `test_loss: ${evaluation.loss} vs ${result.test_loss}`);
    model.dispose();
  });

  test('augmentation bypasses the cache and says so', async () => {
    const entriesBefore = readdirSync(join(cacheRoot, 'features')).length;

    const { logs } = await runTrial(tinyTransferConfig({ augment: true, denseUnits: 5 }), 'on');

    assert.match(logs.join('\n'), /feature cache: bypassed because augmentation changes the images/);
    assert.equal(readdirSync(join(cacheRoot, 'features')).length, entriesBefore);
  });

  test('invalid SWEEP_FEATURE_CACHE is rejected', async () => {
    process.env.SWEEP_FEATURE_CACHE = 'maybe';

    await assert.rejects(
      train({ config: tinyTransferConfig(), outputDir: await temporaryDir('feature-cache-out') }),
      /SWEEP_FEATURE_CACHE must be "on" or "off", got "maybe"/,
    );
  });
});
