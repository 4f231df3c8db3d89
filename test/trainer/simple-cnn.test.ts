import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildModel, modelKey, registerModel, registeredModels } from '../../src/trainer/models/registry.ts';

const options = { classes: 10, seed: 1, cacheDir: '/nonexistent' };

test('simple CNN has 2,122,186 parameters', async () => {
  const built = await buildModel({ type: 'simple-cnn', dropout: 0.5 }, options);

  assert.equal(built.model.countParams(), 2_122_186);
  assert.deepEqual(built.model.outputs[0].shape, [null, 10]);
  assert.equal(built.base, undefined);
  built.model.dispose();
});

test('simple CNN initial weights repeat for a seed', async () => {
  const first = await buildModel({ type: 'simple-cnn', dropout: 0.5 }, options);
  const again = await buildModel({ type: 'simple-cnn', dropout: 0.5 }, options);
  const other = await buildModel({ type: 'simple-cnn', dropout: 0.5 }, { ...options, seed: 2 });

  const kernel = (built: typeof first): Promise<tf.TypedArray> => built.model.getWeights()[0].data();
  assert.deepEqual(await kernel(first), await kernel(again));
  assert.notDeepEqual(await kernel(first), await kernel(other));
  for (const built of [first, again, other]) {
    built.model.dispose();
  }
});

test('simple CNN rejects unfreezing', async () => {
  const built = await buildModel({ type: 'simple-cnn', dropout: 0.5 }, options);

  assert.throws(() => built.unfreezeLastLayers(3), /no pretrained base/);
  built.model.dispose();
});

test('registry keys transfer models by base name', () => {
  const key = modelKey({ type: 'transfer', base: { name: 'mobilenet_v2', alpha: 1, input_size: 96, weights: 'none' }, head: { dense_units: 8, dropout: 0 } });

  assert.equal(key, 'transfer:mobilenet_v2');
});

test('registered builder replaces the built-in one', async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [1], units: 1 })] });
  registerModel('transfer:other', async () => ({ model, unfreezeLastLayers: () => undefined }));
  const config = { type: 'transfer' as const, base: { name: 'other' as 'mobilenet_v2', alpha: 1, input_size: 32, weights: 'none' }, head: { dense_units: 1, dropout: 0 } };

  const built = await buildModel(config, options);

  assert.equal(built.model, model);
  assert.ok(registeredModels().includes('transfer:other'));
  model.dispose();
});

test('unknown model key lists the known ones', async () => {
  const config = { type: 'transfer' as const, base: { name: 'resnet' as 'mobilenet_v2', alpha: 1, input_size: 32, weights: 'none' }, head: { dense_units: 1, dropout: 0 } };

  await assert.rejects(buildModel(config, options), /no model builder is registered for "transfer:resnet"; known models: .*simple-cnn/);
});
