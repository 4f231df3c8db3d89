import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadModel, saveModel } from '../../src/trainer/model-io.ts';
import { SeededDropout, seededDropout } from '../../src/trainer/models/seeded-dropout.ts';
import { temporaryDir } from './fixtures.ts';

test('saved model loads back with equal outputs', async () => {
  const dir = await temporaryDir('model-io');
  const model = tf.sequential();
  model.add(tf.layers.dense({ inputShape: [4], units: 3, activation: 'relu' }));
  model.add(seededDropout({ rate: 0.5, seed: 3 }));
  model.add(tf.layers.dense({ units: 2, activation: 'softmax' }));
  const input = tf.randomUniform([5, 4], 0, 1, 'float32', 1);

  const files = await saveModel(model, dir);
  const loaded = await loadModel(dir);

  assert.deepEqual(files, ['model.json', 'weights.bin']);
  assert.ok(existsSync(join(dir, 'weights.bin')));
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { weightsManifest: { paths: string[] }[] };
  assert.deepEqual(manifest.weightsManifest[0].paths, ['./weights.bin']);
  assert.ok(loaded.layers[1] instanceof SeededDropout);
  const expected = model.predict(input) as tf.Tensor;
  const actual = loaded.predict(input) as tf.Tensor;
  assert.deepEqual(await actual.data(), await expected.data());
  tf.dispose([input, expected, actual]);
  model.dispose();
  loaded.dispose();
});

test('seeded dropout repeats per seed and varies per call', async () => {
  const layer = new SeededDropout({ rate: 0.5, seed: 4 });
  const ones = tf.ones([1, 64]);

  layer.resetStream(1);
  const first = layer.apply(ones, { training: true }) as tf.Tensor;
  const second = layer.apply(ones, { training: true }) as tf.Tensor;
  layer.resetStream(1);
  const repeated = layer.apply(ones, { training: true }) as tf.Tensor;
  const inference = layer.apply(ones) as tf.Tensor;

  assert.notDeepEqual(await first.data(), await second.data());
  assert.deepEqual(await repeated.data(), await first.data());
  assert.deepEqual(await inference.data(), await ones.data());
  tf.dispose([ones, first, second, repeated]);
});
