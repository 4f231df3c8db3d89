import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { TransferModelConfig } from '../../src/spec/trial-config.ts';
import { InferenceBatchNormalization } from '../../src/trainer/layers/inference-batch-normalization.ts';
import { ResizeBilinear } from '../../src/trainer/layers/resize-bilinear.ts';
import { buildMobileNetV2Base, buildMobileNetV2Transfer, makeDivisible } from '../../src/trainer/models/mobilenet-v2.ts';
import { findModelBuilder } from '../../src/trainer/models/registry.ts';
import { loadWeightsByName } from '../../src/trainer/weights/load-weights.ts';
import { readLayersModelWeights } from '../../src/trainer/weights/layers-model-weights.ts';

const realModelDir = fileURLToPath(new URL('../../../shared/data/mobilenet_v2/mobilenet_v2_0.35_224_no_top', import.meta.url));
const cifarTestBatch = fileURLToPath(new URL('../../../shared/data/cifar-10-batches-bin/test_batch.bin', import.meta.url));
const cacheDir = fileURLToPath(new URL('../../.sweep/test-cache-mobilenet-v2', import.meta.url));

function transferConfig(base: Partial<TransferModelConfig['base']> = {}, denseUnits = 256): TransferModelConfig {
  return {
    type: 'transfer',
    base: { name: 'mobilenet_v2', alpha: 1.0, input_size: 96, weights: 'none', ...base },
    head: { dense_units: denseUnits, dropout: 0.5 },
  };
}

function countValues(variables: readonly tf.LayerVariable[]): number {
  return variables.reduce((sum, variable) => sum + variable.shape.reduce<number>((product, size) => product * (size as number), 1), 0);
}

function snapshot(model: tf.LayersModel): Map<string, Float32Array> {
  const values = new Map<string, Float32Array>();
  for (const variable of model.weights) {
    values.set(variable.name, variable.read().dataSync().slice() as Float32Array);
  }
  return values;
}

function maxDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  return max;
}

/** Reads `count` CIFAR-10 records from `first` on: 1 label byte, then 1024 red, green and blue bytes. */
function readCifarRecords(path: string, first: number, count: number): { images: tf.Tensor4D; labels: number[] } {
  const bytes = readFileSync(path);
  const pixels = new Float32Array(count * 32 * 32 * 3);
  const labels: number[] = [];
  for (let record = 0; record < count; record++) {
    const start = (first + record) * 3073;
    labels.push(bytes[start]);
    for (let pixel = 0; pixel < 1024; pixel++) {
      for (let channel = 0; channel < 3; channel++) {
        pixels[(record * 1024 + pixel) * 3 + channel] = bytes[start + 1 + channel * 1024 + pixel] / 255;
      }
    }
  }
  return { images: tf.tensor4d(pixels, [count, 32, 32, 3]), labels };
}

function randomImages(count: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([count, 32, 32, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
}

test('makeDivisible rounds as keras.applications', () => {
  assert.equal(makeDivisible(32 * 1.0), 32);
  assert.equal(makeDivisible(32 * 0.35), 16);
  assert.equal(makeDivisible(Math.trunc(16 * 0.35)), 8);
  assert.equal(makeDivisible(Math.trunc(32 * 0.35)), 16);
  assert.equal(makeDivisible(1280 * 1.4), 1792);
  assert.equal(makeDivisible(Math.trunc(24 * 0.75)), 24);
});

test('alpha 0.35 base matches the published topology', () => {
  const published = JSON.parse(readFileSync(`${realModelDir}/model.json`, 'utf8')) as {
    modelTopology: { config: { layers: { class_name: string; name: string; config: Record<string, unknown>; inbound_nodes: [string, number, number][][] }[] } };
  };
  const base = buildMobileNetV2Base({ alpha: 0.35, inputSize: 224, seed: 1 });
  const theirs = published.modelTopology.config.layers;
  const ours = (base.toJSON(null, false) as unknown as typeof published.modelTopology).config.layers;

  assert.deepEqual(ours.map((layer) => layer.name), theirs.map((layer) => layer.name));
  for (const [index, layer] of theirs.entries()) {
    const config = ours[index].config;
    assert.equal(ours[index].class_name, layer.class_name === 'BatchNormalization' ? 'InferenceBatchNormalization' : layer.class_name, layer.name);
    for (const key of ['filters', 'kernel_size', 'strides', 'use_bias', 'epsilon', 'momentum', 'max_value', 'depth_multiplier', 'padding']) {
      if (key in layer.config) {
        assert.deepEqual(config[key], layer.config[key], `${layer.name}.${key}`);
      }
    }
    const inputsOf = (node: typeof layer): string[] => (node.inbound_nodes.length === 0 ? [] : node.inbound_nodes[0].map((inbound) => inbound[0]));
    assert.deepEqual(inputsOf(ours[index]), inputsOf(layer), `${layer.name} inputs`);
  }
  assert.equal(base.countParams(), 410_208);
});

test('alpha 1.0 transfer model has the Keras parameter counts', async () => {
  const built = await buildMobileNetV2Transfer(transferConfig(), { classes: 10, seed: 1, cacheDir });
  const base = built.base!;

  assert.equal(built.model.countParams(), 2_588_490);
  assert.equal(countValues(built.model.trainableWeights), 330_506);
  assert.equal(base.layers.length, 155);
  assert.equal(base.layers[0].name, 'input_1');
  assert.equal(base.layers.at(-1)!.name, 'out_relu');
  assert.deepEqual(base.outputs[0].shape, [null, 3, 3, 1280]);

  built.unfreezeLastLayers(20);
  assert.equal(countValues(built.model.trainableWeights), 1_536_586);
  assert.equal(base.layers.at(-20)!.name, 'block_15_expand');

  built.unfreezeLastLayers(0);
  assert.equal(countValues(built.model.trainableWeights), 330_506);

  built.unfreezeLastLayers(1000);
  assert.equal(countValues(built.model.trainableWeights), 2_588_490 - 34_112);
});

test('alpha 1.4 widens the last convolution', () => {
  const base = buildMobileNetV2Base({ alpha: 1.4, inputSize: 32, seed: 1 });

  assert.equal(base.getLayer('Conv_1').getConfig().filters, 1792);
  assert.equal(base.getLayer('Conv1').getConfig().filters, 48);
});

test('odd input size pads on both sides', () => {
  const base = buildMobileNetV2Base({ alpha: 0.35, inputSize: 33, seed: 1 });

  assert.deepEqual(base.getLayer('Conv1_pad').getConfig().padding, [[1, 1], [1, 1]]);
  assert.deepEqual(base.outputs[0].shape, [null, 2, 2, 1280]);
});

test('transfer builder rejects bad configs', async () => {
  const options = { classes: 10, seed: 1, cacheDir };

  await assert.rejects(buildMobileNetV2Transfer(transferConfig({ input_size: 16 }), options), /input_size must be an integer of at least 32, got 16/);
  await assert.rejects(buildMobileNetV2Transfer(transferConfig({ alpha: 0 }), options), /alpha must be a positive number, got 0/);
  await assert.rejects(buildMobileNetV2Transfer(transferConfig({}, 0), options), /dense_units must be a positive integer, got 0/);
  const built = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 32 }), options);
  assert.throws(() => built.unfreezeLastLayers(-1), /non-negative integer, got -1/);
});

test('registry finds the transfer builder', async () => {
  const builder = await findModelBuilder('transfer:mobilenet_v2');

  assert.equal(builder, buildMobileNetV2Transfer);
});

test('resize layer uses half-pixel centers', () => {
  const ramp = tf.tensor4d([0, 1, 2, 3], [1, 1, 4, 1]);
  const resized = new ResizeBilinear({ height: 1, width: 2 }).apply(ramp) as tf.Tensor;

  assert.deepEqual(Array.from(resized.dataSync()), [0.5, 2.5]);
  assert.deepEqual(new ResizeBilinear({ height: 96, width: 96 }).computeOutputShape([null, 32, 32, 3]), [null, 96, 96, 3]);
});

test('input is resized and scaled to [-1, 1]', async () => {
  const built = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 64 }), { classes: 10, seed: 1, cacheDir });
  const preprocess = tf.model({ inputs: built.model.inputs, outputs: built.model.getLayer('rescale').output as tf.SymbolicTensor });

  const out = preprocess.predict(tf.concat([tf.zeros([1, 32, 32, 3]), tf.ones([1, 32, 32, 3])])) as tf.Tensor;
  assert.deepEqual(out.shape, [2, 64, 64, 3]);
  const [dark, bright] = tf.unstack(out);
  assert.equal(dark.min().dataSync()[0], -1);
  assert.equal(dark.max().dataSync()[0], -1);
  assert.equal(bright.min().dataSync()[0], 1);
  assert.equal(bright.max().dataSync()[0], 1);
});

test('base normalizes with moving statistics while training', () => {
  const base = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 1 });
  for (const layer of base.layers) {
    if (layer instanceof InferenceBatchNormalization) {
      const [gamma, beta, mean, variance] = layer.getWeights();
      layer.setWeights([gamma, beta, tf.fill(mean.shape, 0.3), tf.fill(variance.shape, 2)]);
    }
  }
  const images = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 7);

  const training = base.apply(images, { training: true }) as tf.Tensor;
  const inference = base.predict(images) as tf.Tensor;
  assert.equal(maxDifference(training.dataSync() as Float32Array, inference.dataSync() as Float32Array), 0);
});

test('fine-tune step changes only unfrozen weights', async () => {
  const built = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 32 }, 16), { classes: 10, seed: 3, cacheDir });
  const { model } = built;
  const base = built.base!;
  const images = randomImages(4, 11);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);

  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  const beforeHead = snapshot(model);
  await model.fit(images, labels, { epochs: 1, batchSize: 4, verbose: 0 });
  const afterHead = snapshot(model);
  for (const variable of base.weights) {
    assert.equal(maxDifference(beforeHead.get(variable.name)!, afterHead.get(variable.name)!), 0, `${variable.name} changed while the base was frozen`);
  }
  assert.ok(maxDifference(beforeHead.get(model.getLayer('head_dense').weights[0].name)!, afterHead.get(model.getLayer('head_dense').weights[0].name)!) > 0);

  built.unfreezeLastLayers(5);
  model.compile({ optimizer: tf.train.adam(1e-2), loss: 'categoricalCrossentropy' });
  await model.fit(images, labels, { epochs: 1, batchSize: 4, verbose: 0 });
  const afterFineTune = snapshot(model);
  const unfrozen = new Set(base.layers.slice(-5).map((layer) => layer.name));
  assert.deepEqual([...unfrozen], ['block_16_project', 'block_16_project_BN', 'Conv_1', 'Conv_1_bn', 'out_relu']);
  for (const layer of base.layers) {
    for (const variable of layer.weights) {
      const changed = maxDifference(afterHead.get(variable.name)!, afterFineTune.get(variable.name)!) > 0;
      const isStatistic = /moving_(mean|variance)$/.test(variable.originalName);
      const shouldChange = unfrozen.has(layer.name) && !isStatistic;
      assert.equal(changed, shouldChange, `${layer.name} ${variable.originalName} changed: ${changed}`);
    }
  }
});

test('model saves and reloads with its custom layers', async () => {
  const built = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 32 }, 16), { classes: 10, seed: 5, cacheDir });
  const images = randomImages(2, 13);
  let artifacts: tf.io.ModelArtifacts | undefined;

  await built.model.save(tf.io.withSaveHandler(async (saved) => {
    artifacts = saved;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  const reloaded = await tf.loadLayersModel(tf.io.fromMemory(artifacts!));

  const topology = JSON.stringify(artifacts!.modelTopology);
  assert.ok(topology.includes('"InferenceBatchNormalization"'));
  assert.ok(topology.includes('"ResizeBilinear"'));
  const expected = built.model.predict(images) as tf.Tensor;
  const actual = reloaded.predict(images) as tf.Tensor;
  assert.equal(maxDifference(expected.dataSync() as Float32Array, actual.dataSync() as Float32Array), 0);
  assert.equal(reloaded.countParams(), built.model.countParams());
});

test('real alpha 0.35 ImageNet weights load at input 96', async () => {
  const pretrained = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 96, weights: realModelDir }), { classes: 10, seed: 1, cacheDir });
  const fresh = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 96, weights: 'none' }), { classes: 10, seed: 1, cacheDir });
  const images = randomImages(2, 17);
  const features = (built: typeof pretrained): Float32Array => {
    const extractor = tf.model({ inputs: built.model.inputs, outputs: built.model.getLayer('global_average_pooling2d').output as tf.SymbolicTensor });
    return (extractor.predict(images) as tf.Tensor).dataSync() as Float32Array;
  };

  assert.deepEqual(pretrained.base!.outputs[0].shape, [null, 3, 3, 1280]);
  const pretrainedFeatures = features(pretrained);
  const freshFeatures = features(fresh);
  assert.equal(pretrainedFeatures.length, 2 * 1280);
  assert.ok(pretrainedFeatures.every(Number.isFinite));
  assert.ok(maxDifference(pretrainedFeatures, freshFeatures) > 0.1);
});

test('base output equals the published model', async () => {
  const modelJson = JSON.parse(readFileSync(`${realModelDir}/model.json`, 'utf8')) as tf.io.ModelJSON & {
    modelTopology: { config: { layers: { config: { batch_input_shape?: (number | null)[] } }[] } };
  };
  // The published graph is fixed at 224×224; its weights fit any even size, and 96 keeps the test fast.
  modelJson.modelTopology.config.layers[0].config.batch_input_shape = [null, 96, 96, 3];
  const weightsBin = readFileSync(`${realModelDir}/weights.bin`);
  const published = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weightsBin.buffer.slice(weightsBin.byteOffset, weightsBin.byteOffset + weightsBin.byteLength),
    }),
  );
  const ours = buildMobileNetV2Base({ alpha: 0.35, inputSize: 96, seed: 1 });
  loadWeightsByName(ours, await readLayersModelWeights(`${realModelDir}/model.json`), realModelDir);
  const images = tf.randomUniform([2, 96, 96, 3], -1, 1, 'float32', 19);

  const expected = published.predict(images) as tf.Tensor;
  const actual = ours.predict(images) as tf.Tensor;
  assert.deepEqual(actual.shape, [2, 3, 3, 1280]);
  assert.ok(expected.abs().max().dataSync()[0] > 0.1);
  assert.ok(maxDifference(expected.dataSync() as Float32Array, actual.dataSync() as Float32Array) < 1e-4);
});

test('real weights give class-separating features', async () => {
  const built = await buildMobileNetV2Transfer(transferConfig({ alpha: 0.35, input_size: 64, weights: realModelDir }), { classes: 10, seed: 1, cacheDir });
  const extractor = tf.model({ inputs: built.model.inputs, outputs: built.model.getLayer('global_average_pooling2d').output as tf.SymbolicTensor });
  const train = readCifarRecords(cifarTestBatch, 0, 100);
  const heldOut = readCifarRecords(cifarTestBatch, 100, 100);
  const normalize = (features: tf.Tensor2D): tf.Tensor2D => features.div(features.norm('euclidean', 1, true).add(1e-8));

  // Nearest class mean by cosine similarity on the pooled features: about 0.5 with
  // these weights and about 0.18 with a freshly initialized base (measured on these images), chance is 0.1.
  const trainFeatures = normalize(extractor.predict(train.images, { batchSize: 50 }) as tf.Tensor2D);
  const heldOutFeatures = normalize(extractor.predict(heldOut.images, { batchSize: 50 }) as tf.Tensor2D);
  const means = tf.stack(
    Array.from({ length: 10 }, (_, label) => {
      const rows = train.labels.flatMap((value, index) => (value === label ? [index] : []));
      return tf.gather(trainFeatures, rows).mean(0);
    }),
  ) as tf.Tensor2D;
  const predicted = tf.matMul(heldOutFeatures, normalize(means), false, true).argMax(1).dataSync();
  const accuracy = heldOut.labels.filter((label, index) => predicted[index] === label).length / heldOut.labels.length;

  assert.ok(accuracy > 0.3, `nearest-mean accuracy ${accuracy}`);
});
