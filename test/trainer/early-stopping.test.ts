import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { EarlyStoppingConfig } from '../../src/spec/trial-config.ts';
import { EarlyStopping, monitoredField } from '../../src/trainer/early-stopping.ts';
import type { EpochMetrics } from '../../src/trainer/types.ts';

function epochMetrics(epoch: number, valAccuracy: number, valLoss = 1): EpochMetrics {
  return { phase: 'head', epoch, loss: 1, accuracy: 0.5, val_loss: valLoss, val_accuracy: valAccuracy, learning_rate: 0.001, seconds: 1, images_per_second: 1 };
}

function tinyModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [2], units: 1, kernelInitializer: 'zeros' }));
  return model;
}

async function setKernel(model: tf.LayersModel, value: number): Promise<void> {
  const weights = [tf.fill([2, 1], value), tf.zeros([1])];
  model.setWeights(weights);
  tf.dispose(weights);
}

async function kernelValue(model: tf.LayersModel): Promise<number> {
  return (await model.getWeights()[0].data())[0];
}

const config: EarlyStoppingConfig = { monitor: 'val_accuracy', patience: 2, min_delta: 0.01, restore_best_weights: true };

test('best weights are restored after the phase', async () => {
  const model = tinyModel();
  const stopping = new EarlyStopping(config);
  const accuracies = [0.5, 0.7, 0.6, 0.65];

  let stoppedAt = 0;
  for (const [i, accuracy] of accuracies.entries()) {
    await setKernel(model, i + 1);
    if (stopping.update(epochMetrics(i + 1, accuracy), model)) {
      stoppedAt = i + 1;
      break;
    }
  }
  const kept = stopping.restoreBest(model, stoppedAt);

  assert.equal(stoppedAt, 4);
  assert.equal(kept, 2);
  assert.equal(await kernelValue(model), 2);
  stopping.dispose();
  model.dispose();
});

test('kept weights are copies, not live variables', async () => {
  const model = tinyModel();
  const stopping = new EarlyStopping(config);
  await setKernel(model, 3);
  stopping.update(epochMetrics(1, 0.9), model);

  await setKernel(model, 8);

  assert.equal((await stopping.savedWeights?.[0].data())?.[0], 3);
  stopping.dispose();
  model.dispose();
});

test('improvements below min_delta count as none', () => {
  const model = tinyModel();
  const stopping = new EarlyStopping({ ...config, patience: 2, min_delta: 0.05 });

  assert.equal(stopping.update(epochMetrics(1, 0.5), model), false);
  assert.equal(stopping.update(epochMetrics(2, 0.54), model), false);
  assert.equal(stopping.update(epochMetrics(3, 0.549), model), true);
  assert.equal(stopping.current.bestEpoch, 1);
  stopping.dispose();
  model.dispose();
});

test('val_loss is minimized', () => {
  const model = tinyModel();
  const stopping = new EarlyStopping({ monitor: 'val_loss', patience: 1, min_delta: 0, restore_best_weights: false });

  stopping.update(epochMetrics(1, 0, 2.0), model);
  stopping.update(epochMetrics(2, 0, 1.5), model);
  const stop = stopping.update(epochMetrics(3, 0, 1.6), model);

  assert.equal(stop, true);
  assert.equal(stopping.current.best, 1.5);
  assert.equal(stopping.savedWeights, undefined);
  model.dispose();
});

test('NaN never improves', () => {
  const model = tinyModel();
  const stopping = new EarlyStopping({ ...config, patience: 1, restore_best_weights: false });

  stopping.update(epochMetrics(1, 0.4), model);

  assert.equal(stopping.update(epochMetrics(2, Number.NaN), model), true);
  model.dispose();
});

test('last epoch best keeps the current weights', async () => {
  const model = tinyModel();
  const stopping = new EarlyStopping(config);
  await setKernel(model, 1);
  stopping.update(epochMetrics(1, 0.5), model);
  await setKernel(model, 2);
  stopping.update(epochMetrics(2, 0.8), model);

  assert.equal(stopping.restoreBest(model, 2), 2);
  assert.equal(await kernelValue(model), 2);
  stopping.dispose();
  model.dispose();
});

test('TensorFlow.js metric names map to Keras fields', () => {
  assert.equal(monitoredField('val_acc'), 'val_accuracy');
  assert.equal(monitoredField('acc'), 'accuracy');
  assert.throws(() => monitoredField('val_f1'), /must be one of val_accuracy, val_loss, accuracy, loss, got "val_f1"/);
});

test('early stopping leaks no tensors', async () => {
  const model = tinyModel();
  const before = tf.memory().numTensors;
  const stopping = new EarlyStopping(config);

  for (let epoch = 1; epoch <= 5; epoch++) {
    stopping.update(epochMetrics(epoch, epoch % 2 === 0 ? 0.1 * epoch : 0), model);
  }
  stopping.restoreBest(model, 5);
  stopping.dispose();

  assert.equal(tf.memory().numTensors, before);
  model.dispose();
});
