import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { TrialConfig } from '../../src/spec/trial-config.ts';
import { loadCifar10 } from '../../src/trainer/datasets/cifar10.ts';
import { evaluateSplit } from '../../src/trainer/evaluate.ts';
import { registerModel } from '../../src/trainer/models/registry.ts';
import { loadModel } from '../../src/trainer/model-io.ts';
import { train } from '../../src/trainer/train.ts';
import type { EpochMetrics, TrainRequest } from '../../src/trainer/types.ts';
import { buildTinyCnn, buildTinyTransfer, fixtureConfig, temporaryDir, writeCifar10Fixture } from './fixtures.ts';

// Tiny stand-ins keep each trial to a few seconds on the stock cpu kernels; the
// full-size models have their own tests.
registerModel('simple-cnn', buildTinyCnn);
registerModel('transfer:mobilenet_v2', buildTinyTransfer);

let dataDir: string;

before(async () => {
  // Caches the trainer fills (the frozen-feature cache) go to a fresh folder, not ~/.sweep.
  process.env.SWEEP_CACHE_DIR = await temporaryDir('train-cache');
  dataDir = await temporaryDir('train-data');
  writeCifar10Fixture(dataDir, 24, 40);
});

async function runTrial(config: TrialConfig, extra: Partial<TrainRequest> = {}): Promise<{ result: Awaited<ReturnType<typeof train>>; epochs: EpochMetrics[]; logs: string[] }> {
  const epochs: EpochMetrics[] = [];
  const logs: string[] = [];
  const result = await train({
    config,
    outputDir: await temporaryDir('train-out'),
    onEpoch: (metrics) => {
      epochs.push(metrics);
    },
    onLog: (message) => logs.push(message),
    ...extra,
  });
  return { result, epochs, logs };
}

function transferConfig(unfreeze: number): TrialConfig {
  const config = fixtureConfig(dataDir, { epochs: 2 });
  config.model = { type: 'transfer', base: { name: 'mobilenet_v2', alpha: 0.35, input_size: 32, weights: 'none' }, head: { dense_units: 8, dropout: 0.1 } };
  config.training.fine_tune = { optimizer: 'adam', learning_rate: 0.001, max_epochs: 2, unfreeze_layers: unfreeze };
  return config;
}

describe('train', () => {
  test('reports epochs, test metrics and files', async () => {
    const outputDir = await temporaryDir('train-report');

    const { result, epochs } = await runTrial(fixtureConfig(dataDir, { epochs: 2 }), { outputDir });

    assert.deepEqual(
      epochs.map((entry) => `${entry.phase}:${entry.epoch}`),
      ['head:1', 'head:2'],
    );
    assert.equal(result.phases.length, 1);
    assert.equal(result.phases[0].epochs, 2);
    assert.equal(result.phases[0].trainable_params, result.total_params);
    assert.equal(result.backend, 'cpu');
    assert.ok(result.test_accuracy >= 0);
    assert.ok(result.test_accuracy <= 1);
    assert.equal(result.per_class.length, 10);
    assert.equal(result.confusion.flat().reduce((sum, count) => sum + count, 0), 40);
    assert.equal(result.max_train_accuracy, Math.max(...epochs.map((entry) => entry.accuracy)));
    assert.equal(result.overfitting_gap, result.max_train_accuracy - Math.max(...epochs.map((entry) => entry.val_accuracy)));
    assert.ok(result.inference_images_per_second > 0);
    assert.deepEqual(result.files, ['model.json', 'weights.bin']);
    assert.ok(existsSync(join(outputDir, 'model.json')));
  });

  test('saved model reproduces the test metrics', async () => {
    const outputDir = await temporaryDir('train-saved');
    const config = fixtureConfig(dataDir, { epochs: 1 });
    const { result } = await runTrial(config, { outputDir });
    const data = await loadCifar10(config.dataset, config.training.seed);

    const model = await loadModel(outputDir);
    const evaluation = await evaluateSplit(model, data.test, config.training.batch_size);

    assert.equal(model.countParams(), result.total_params);
    assert.equal(evaluation.accuracy, result.test_accuracy);
    assert.equal(evaluation.loss, result.test_loss);
    model.dispose();
  });

  test('same seed repeats every metric and leaks no tensors', async () => {
    const config = fixtureConfig(dataDir, { epochs: 2, seed: 9 });
    config.training.augmentation = { horizontal_flip: true, translation: 0.1, zoom: 0.1, rotation: 0.05 };
    const before = tf.memory().numTensors;

    const first = await runTrial(config);
    const afterFirst = tf.memory().numTensors;
    const second = await runTrial(config);

    assert.equal(afterFirst, before);
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(
      second.epochs.map((entry) => [entry.loss, entry.accuracy, entry.val_loss, entry.val_accuracy]),
      first.epochs.map((entry) => [entry.loss, entry.accuracy, entry.val_loss, entry.val_accuracy]),
    );
    assert.equal(second.result.test_loss, first.result.test_loss);
  });

  test('early stopping ends the phase and restores the best epoch', async () => {
    const config = fixtureConfig(dataDir, { epochs: 5 });
    // No epoch can beat the first by a whole unit of accuracy, so the second epoch stops the phase.
    config.training.head.early_stopping = { monitor: 'val_accuracy', patience: 1, min_delta: 1, restore_best_weights: true };

    const { result, epochs, logs } = await runTrial(config);

    assert.equal(epochs.length, 2);
    assert.equal(result.phases[0].stopped_early, true);
    assert.equal(result.phases[0].best_epoch, 1);
    assert.ok(logs.some((line) => line.includes('restored the weights of epoch 1')));
  });

  test('abort rejects with AbortError and leaks no tensors', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;

    await assert.rejects(
      runTrial(fixtureConfig(dataDir, { epochs: 3 }), {
        signal: controller.signal,
        onEpoch: () => controller.abort(),
      }),
      { name: 'AbortError' },
    );
    assert.equal(tf.memory().numTensors, before);
  });

  test('early stopping on a missing validation set is rejected', async () => {
    const config = fixtureConfig(dataDir);
    config.dataset.validation_split = 0;
    config.training.head.early_stopping = { monitor: 'val_accuracy', patience: 1, min_delta: 0, restore_best_weights: false };

    await assert.rejects(runTrial(config), /monitor is val_accuracy, but dataset.validation_split is 0/);
  });
});

describe('train checkpoints', () => {
  test('resumed trial matches an uninterrupted one', async () => {
    const config = fixtureConfig(dataDir, { epochs: 3, seed: 5 });
    config.training.head.early_stopping = { monitor: 'val_loss', patience: 5, min_delta: 0, restore_best_weights: true };
    const uninterrupted = await runTrial(config);
    const checkpointDir = await temporaryDir('checkpoint');
    const controller = new AbortController();
    const before = tf.memory().numTensors;

    await assert.rejects(
      runTrial(config, {
        checkpoint: { dir: checkpointDir },
        signal: controller.signal,
        onEpoch: (metrics) => {
          if (metrics.epoch === 2) {
            controller.abort();
          }
        },
      }),
      { name: 'AbortError' },
    );
    const resumed = await runTrial(config, { checkpoint: { dir: checkpointDir } });

    assert.deepEqual(
      resumed.epochs.map((entry) => entry.epoch),
      [3],
    );
    assert.ok(resumed.logs.some((line) => line.startsWith('resuming phase head at epoch 3')));
    assert.deepEqual(resumed.epochs[0], { ...uninterrupted.epochs[2], seconds: resumed.epochs[0].seconds, images_per_second: resumed.epochs[0].images_per_second });
    assert.equal(resumed.result.test_loss, uninterrupted.result.test_loss);
    assert.equal(resumed.result.phases[0].epochs, 3);
    assert.equal(tf.memory().numTensors, before);
  });

  test('checkpoint of another config restarts the trial', async () => {
    const checkpointDir = await temporaryDir('checkpoint-other');
    await runTrial(fixtureConfig(dataDir, { epochs: 1, seed: 1 }), { checkpoint: { dir: checkpointDir } });

    const { epochs, logs } = await runTrial(fixtureConfig(dataDir, { epochs: 1, seed: 2 }), { checkpoint: { dir: checkpointDir } });

    assert.deepEqual(
      epochs.map((entry) => entry.epoch),
      [1],
    );
    assert.ok(logs.some((line) => line.includes('belongs to another trial config; starting the trial from the first epoch')));
  });
});

describe('train transfer phases', () => {
  test('fine-tuning unfreezes the base and recompiles', async () => {
    const before = tf.memory().numTensors;

    const { result, epochs } = await runTrial(transferConfig(1));

    assert.deepEqual(
      epochs.map((entry) => `${entry.phase}:${entry.epoch}:${entry.learning_rate}`),
      ['head:1:0.01', 'head:2:0.01', 'fine_tune:1:0.001', 'fine_tune:2:0.001'],
    );
    assert.deepEqual(
      result.phases.map((phase) => phase.phase),
      ['head', 'fine_tune'],
    );
    // Head: dense 8×10 + 10. Fine-tuning adds base_conv2: 3×3×4×8 + 8.
    assert.equal(result.phases[0].trainable_params, 90);
    assert.equal(result.phases[1].trainable_params, 90 + 296);
    assert.equal(tf.memory().numTensors, before);
  });

  test('only unfrozen base layers change', async () => {
    const config = transferConfig(1);
    const outputDir = await temporaryDir('train-unfrozen');
    const initial = await buildTinyTransfer(config.model, { classes: 10, seed: config.training.seed, cacheDir: '' });

    await runTrial(config, { outputDir });
    const trained = await loadModel(outputDir);

    const kernel = (model: tf.LayersModel, name: string): Float32Array => {
      const base = model.layers.find((layer) => layer instanceof tf.LayersModel) as tf.LayersModel;
      return base.getLayer(name).getWeights()[0].dataSync() as Float32Array;
    };
    assert.deepEqual(kernel(trained, 'base_conv1'), kernel(initial.model, 'base_conv1'));
    assert.notDeepEqual(kernel(trained, 'base_conv2'), kernel(initial.model, 'base_conv2'));
    trained.dispose();
    initial.model.dispose();
  });

  test('unfreeze_layers 0 skips fine-tuning', async () => {
    const { result } = await runTrial(transferConfig(0));

    assert.deepEqual(
      result.phases.map((phase) => phase.phase),
      ['head'],
    );
  });

  test('resume after the head phase starts fine-tuning', async () => {
    const config = transferConfig(2);
    const uninterrupted = await runTrial(config);
    const checkpointDir = await temporaryDir('checkpoint-transfer');
    const controller = new AbortController();

    await assert.rejects(
      runTrial(config, {
        checkpoint: { dir: checkpointDir },
        signal: controller.signal,
        onEpoch: (metrics) => {
          if (metrics.phase === 'head' && metrics.epoch === 2) {
            controller.abort();
          }
        },
      }),
      { name: 'AbortError' },
    );
    // A finished phase is never resumed, so its checkpoint keeps no optimizer state.
    assert.ok(existsSync(join(checkpointDir, 'head-0002-done', 'model.bin')));
    assert.ok(!existsSync(join(checkpointDir, 'head-0002-done', 'optimizer.bin')));
    const resumed = await runTrial(config, { checkpoint: { dir: checkpointDir } });

    assert.deepEqual(
      resumed.epochs.map((entry) => `${entry.phase}:${entry.epoch}`),
      ['fine_tune:1', 'fine_tune:2'],
    );
    assert.equal(resumed.result.test_loss, uninterrupted.result.test_loss);
  });
});
