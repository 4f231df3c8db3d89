import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../src/spec/trial-config.ts';
import { buildExtractor, buildTail, findCutPoint, type CutPoint } from '../../src/trainer/feature-cache/cut-point.ts';
import { hashFrozenPart } from '../../src/trainer/feature-cache/feature-key.ts';
import { buildMobileNetV2Transfer } from '../../src/trainer/models/mobilenet-v2.ts';
import type { BuiltModel } from '../../src/trainer/models/model-builder.ts';

function tinyConfig(denseUnits = 8): ModelConfig {
  return { type: 'transfer', base: { name: 'mobilenet_v2', alpha: 0.35, input_size: 32, weights: 'none' }, head: { dense_units: denseUnits, dropout: 0.5 } };
}

function tinyMobileNet(seed = 3, denseUnits = 8): Promise<BuiltModel> {
  return buildMobileNetV2Transfer(tinyConfig(denseUnits), { classes: 10, seed, cacheDir: '/nonexistent' });
}

function cutOf(model: tf.LayersModel): CutPoint {
  const found = findCutPoint(model);
  if ('reason' in found) {
    throw new Error(`expected a cut point, got: ${found.reason}`);
  }
  return found.cut;
}

function maxDifference(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('feature cache cut point', () => {
  test('frozen base cuts after global pooling', async () => {
    const built = await tinyMobileNet();

    const cut = cutOf(built.model);

    assert.deepEqual(
      cut.tensors.map((tensor) => tensor.sourceLayer.name),
      ['global_average_pooling2d'],
    );
    assert.deepEqual(cut.tensors[0].shape, [null, 1280]);
    built.model.dispose();
  });

  test('residual skip into the unfrozen layers adds a tensor', async () => {
    const built = await tinyMobileNet();
    // The last 19 layers start at block_15_expand_BN, so block_15_add still reads block_14_add.
    built.unfreezeLastLayers(19);

    const cut = cutOf(built.model);

    assert.deepEqual(
      cut.tensors.map((tensor) => tensor.sourceLayer.name),
      ['block_15_expand', 'block_14_add'],
    );
    built.model.dispose();
  });

  test('cut at a block boundary needs one tensor', async () => {
    const built = await tinyMobileNet();
    built.unfreezeLastLayers(20);

    const cut = cutOf(built.model);

    assert.deepEqual(
      cut.tensors.map((tensor) => tensor.sourceLayer.name),
      ['block_14_add'],
    );
    built.model.dispose();
  });

  test('extractor then tail reproduces the model output', async () => {
    const built = await tinyMobileNet();
    const images = tf.randomUniform([3, 32, 32, 3], 0, 1, 'float32', 11);
    const expected = built.model.predict(images) as tf.Tensor;

    for (const unfreeze of [0, 11, 19, 40]) {
      built.unfreezeLastLayers(unfreeze);
      const cut = cutOf(built.model);
      const extractor = buildExtractor(built.model, cut);
      const tail = buildTail(built.model, cut);
      const actual = tail.predict(extractor.predict(images)) as tf.Tensor;

      assert.ok(maxDifference(actual, expected) < 1e-6, `unfreeze ${unfreeze}: max difference ${maxDifference(actual, expected)}`);
      assert.equal(tail.trainableWeights.length, built.model.trainableWeights.length, `unfreeze ${unfreeze}: trainable weights`);
      // Optimizer state in checkpoints is ordered by the trainable weights, so a trial can resume with the cache on or off.
      assert.deepEqual(
        tail.trainableWeights.map((weight) => weight.originalName),
        built.model.trainableWeights.map((weight) => weight.originalName),
        `unfreeze ${unfreeze}: trainable weight order`,
      );
      tf.dispose(actual);
      extractor.dispose();
      tail.dispose();
    }
    tf.dispose([images, expected]);
    built.model.dispose();
  });

  test('tail training updates the model weights', async () => {
    const built = await tinyMobileNet();
    const cut = cutOf(built.model);
    const tail = buildTail(built.model, cut);
    const before = built.model.getLayer('head_dense').getWeights()[0].dataSync().slice();

    tail.compile({ optimizer: tf.train.sgd(0.5), loss: 'categoricalCrossentropy' });
    await tail.trainOnBatch(tf.ones([2, 1280]), tf.oneHot(tf.tensor1d([1, 2], 'int32'), 10).toFloat());

    const after = built.model.getLayer('head_dense').getWeights()[0].dataSync();
    assert.notDeepEqual(Array.from(after), Array.from(before));
    built.model.dispose();
  });

  test('fully unfrozen base has nothing to cache', async () => {
    const built = await tinyMobileNet();
    built.unfreezeLastLayers(1000);

    const found = findCutPoint(built.model);

    assert.ok('reason' in found);
    assert.match(found.reason, /no layer with weights is frozen/);
    built.model.dispose();
  });

  test('stock BatchNormalization in the frozen part bypasses', () => {
    const input = tf.input({ shape: [4] });
    const dense = tf.layers.dense({ units: 4, trainable: false }).apply(input) as tf.SymbolicTensor;
    const normalized = tf.layers.batchNormalization({ trainable: false }).apply(dense) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 2 }).apply(normalized) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });

    const found = findCutPoint(model);

    assert.ok('reason' in found);
    assert.match(found.reason, /BatchNormalization/);
    model.dispose();
  });

  test('frozen hash ignores the head and the initializer seed', async () => {
    const first = await tinyMobileNet(3, 8);
    const otherHead = await tinyMobileNet(3, 32);
    const otherWeights = await tinyMobileNet(4, 8);
    // Same weights as `otherWeights` after the copy, but built with another seed.
    const copied = await tinyMobileNet(5, 8);
    copied.base?.setWeights(otherWeights.base?.getWeights() ?? []);

    const hash = (built: BuiltModel): string => hashFrozenPart(cutOf(built.model));

    assert.equal(hash(otherHead), hash(first));
    assert.notEqual(hash(otherWeights), hash(first));
    assert.equal(hash(copied), hash(otherWeights));
    for (const built of [first, otherHead, otherWeights, copied]) {
      built.model.dispose();
    }
  });
});
