import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { TransferModelConfig } from '../../src/spec/trial-config.ts';
import { buildMobileNetV2Base, buildMobileNetV2Transfer } from '../../src/trainer/models/mobilenet-v2.ts';
import { readKerasH5Weights } from '../../src/trainer/weights/keras-h5.ts';
import { readLayersModelWeights } from '../../src/trainer/weights/layers-model-weights.ts';
import { loadWeightsByName, WeightMismatchError } from '../../src/trainer/weights/load-weights.ts';
import { kerasWeightsFileName, layersModelFolderName, resolveImagenetWeights, resolveWeightsPath } from '../../src/trainer/weights/resolve-weights.ts';
import { kerasLayerWeights, writeKerasWeightsFile } from '../helpers/keras-h5-writer.ts';

const realModelDir = fileURLToPath(new URL('../../../shared/data/mobilenet_v2/mobilenet_v2_0.35_224_no_top', import.meta.url));
const realModelJson = join(realModelDir, 'model.json');

let workDir: string;
before(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'sweep-weights-'));
});
after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function transferConfig(alpha: number, weights: string, inputSize = 32): TransferModelConfig {
  return { type: 'transfer', base: { name: 'mobilenet_v2', alpha, input_size: inputSize, weights }, head: { dense_units: 8, dropout: 0.5 } };
}

/** Compares two models' weights layer by layer (a frozen model lists its weights in another order). */
function sameWeights(a: tf.LayersModel, b: tf.LayersModel): boolean {
  return a.layers.every((layer, layerIndex) => {
    const other = b.layers[layerIndex].getWeights();
    return layer.getWeights().every((weight, index) => {
      const x = weight.dataSync();
      const y = other[index].dataSync();
      return x.length === y.length && x.every((value, i) => value === y[i]);
    });
  });
}

test('layers model reader reads the real weights by Keras name', async () => {
  const weights = await readLayersModelWeights(realModelJson);

  assert.equal(weights.size, 260);
  assert.deepEqual(weights.get('Conv1/kernel')?.shape, [3, 3, 3, 16]);
  assert.deepEqual(weights.get('Conv_1_bn/moving_variance')?.shape, [1280]);
  const total = [...weights.values()].reduce((sum, weight) => sum + weight.values.length, 0);
  assert.equal(total, 410_208);
});

test('layers model reader rejects truncated weights', async () => {
  const folder = join(workDir, 'truncated');
  await mkdir(folder);
  await copyFile(realModelJson, join(folder, 'model.json'));
  await copyFile(join(realModelDir, 'weights.bin'), join(folder, 'weights.bin'));
  await truncate(join(folder, 'weights.bin'), 1000);

  await assert.rejects(readLayersModelWeights(join(folder, 'model.json')), /hold 1000 bytes, but the manifest lists weights of 1640832 bytes/);
});

test('real weights load into the base with no mismatch', async () => {
  const base = buildMobileNetV2Base({ alpha: 0.35, inputSize: 96, seed: 1 });
  const weights = await readLayersModelWeights(realModelJson);

  const loaded = loadWeightsByName(base, weights, realModelJson);
  assert.equal(loaded, 410_208);
  const stored = weights.get('block_16_project/kernel')!.values;
  const actual = base.getLayer('block_16_project').getWeights()[0].dataSync();
  assert.deepEqual(Array.from(actual.slice(0, 16)), Array.from(stored.slice(0, 16)));
  const mean = base.getLayer('Conv_1_bn').getWeights()[2].dataSync();
  assert.deepEqual(Array.from(mean.slice(0, 8)), Array.from(weights.get('Conv_1_bn/moving_mean')!.values.slice(0, 8)));
});

test('Keras h5 file round-trips into a new model', async () => {
  const source = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 1 });
  const path = join(workDir, 'round-trip.h5');
  await writeKerasWeightsFile(path, kerasLayerWeights(source));

  const weights = await readKerasH5Weights(path);
  assert.equal(weights.size, 260);
  assert.deepEqual(weights.get('bn_Conv1/moving_mean')?.shape, [16]);
  const target = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 2 });
  assert.equal(sameWeights(source, target), false);
  loadWeightsByName(target, weights, path);
  assert.equal(sameWeights(source, target), true);
});

test('mismatch lists missing and unexpected names', async () => {
  const source = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 1 });
  const layers = kerasLayerWeights(source).filter((entry) => entry.layer !== 'block_16_project');
  layers.push({ layer: 'logits', weights: [{ name: 'logits/kernel:0', shape: [2, 2], values: new Float32Array(4) }] });
  const path = join(workDir, 'mismatch.h5');
  await writeKerasWeightsFile(path, layers);
  const target = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 2 });
  const before = target.getLayer('Conv1').getWeights()[0].dataSync().slice();

  const error = await readKerasH5Weights(path).then((weights) => {
    try {
      loadWeightsByName(target, weights, path);
    } catch (caught) {
      return caught;
    }
    return undefined;
  });
  assert.ok(error instanceof WeightMismatchError);
  assert.deepEqual(error.missing, ['block_16_project/kernel']);
  assert.deepEqual(error.unexpected, ['logits/kernel']);
  assert.match(error.message, /1 missing from the file \(block_16_project\/kernel\); 1 unexpected in the file \(logits\/kernel\)/);
  assert.deepEqual(target.getLayer('Conv1').getWeights()[0].dataSync(), before);
});

test('other alpha reports shape mismatches', async () => {
  const base = buildMobileNetV2Base({ alpha: 0.5, inputSize: 32, seed: 1 });

  assert.throws(
    () => loadWeightsByName(base, new Map(), 'empty'),
    (error: unknown) => error instanceof WeightMismatchError && error.missing.length === 260 && /… and 240 more/.test(error.message),
  );
  const weights = await readLayersModelWeights(realModelJson);
  assert.throws(() => loadWeightsByName(base, weights, realModelJson), /187 with a different shape \(block_1_project\/kernel: file \[1, 1, 48, 8\] vs model \[1, 1, 48, 16\]/);
});

test('weights path accepts a folder, model.json or h5 file', async () => {
  const folder = await resolveWeightsPath(realModelDir);
  assert.equal(folder.format, 'tfjs-layers');
  assert.equal(folder.path, realModelJson);
  assert.equal(folder.sha256['weights.bin'], 'e159deb3afa15bc63a53edb3eb31d0d6de1a25f0d8d72d9b8372b5088a902a8a');

  const h5 = join(workDir, 'path.h5');
  await writeKerasWeightsFile(h5, [{ layer: 'input_1', weights: [] }]);
  assert.equal((await resolveWeightsPath(h5)).format, 'keras-h5');

  const notWeights = join(workDir, 'notes.txt');
  await writeFile(notWeights, 'hello');
  await assert.rejects(resolveWeightsPath(notWeights), /neither a TensorFlow.js model.json nor an HDF5 file/);
  await assert.rejects(resolveWeightsPath(join(workDir, 'absent.h5')), /absent.h5 does not exist/);
  await assert.rejects(resolveWeightsPath(workDir), /has no model.json/);

  const withoutBin = join(workDir, 'without-bin');
  await mkdir(withoutBin);
  await copyFile(realModelJson, join(withoutBin, 'model.json'));
  await assert.rejects(resolveWeightsPath(withoutBin), /weights\.bin is missing: .*model\.json lists it as a weights file/);
});

test('imagenet resolution prefers weights dir over cache', async () => {
  const weightsDir = join(workDir, 'weights-dir');
  const cacheDir = join(workDir, 'cache-order');
  const cached = join(cacheDir, 'models', kerasWeightsFileName(0.35, 96));
  await mkdir(join(cacheDir, 'models'), { recursive: true });
  await writeKerasWeightsFile(cached, [{ layer: 'input_1', weights: [] }]);
  const tfjsFolder = join(weightsDir, layersModelFolderName(0.35, 224));
  await mkdir(tfjsFolder, { recursive: true });
  await copyFile(realModelJson, join(tfjsFolder, 'model.json'));
  await copyFile(join(realModelDir, 'weights.bin'), join(tfjsFolder, 'weights.bin'));

  const fromDir = await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, weightsDir, cacheDir });
  assert.equal(fromDir.path, join(tfjsFolder, 'model.json'));

  const fromCache = await resolveImagenetWeights({ alpha: 0.35, inputSize: 96, cacheDir });
  assert.equal(fromCache.path, cached);

  await assert.rejects(resolveImagenetWeights({ alpha: 0.6, inputSize: 96, cacheDir }), /alpha 0.6 has no ImageNet weights; keras.applications publishes them for alpha 0.35, 0.5, 0.75, 1.0, 1.3, 1.4/);
});

test('alpha 1.0 Keras h5 loads through imagenet resolution', async () => {
  const weightsDir = join(workDir, 'alpha-1');
  await mkdir(weightsDir);
  const source = buildMobileNetV2Base({ alpha: 1.0, inputSize: 96, seed: 21 });
  const fileName = kerasWeightsFileName(1.0, 96);
  assert.equal(fileName, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_96_no_top.h5');
  await writeKerasWeightsFile(join(weightsDir, fileName), kerasLayerWeights(source));
  const logs: string[] = [];

  const built = await buildMobileNetV2Transfer(transferConfig(1.0, 'imagenet', 96), { classes: 10, seed: 1, cacheDir: join(workDir, 'unused-cache'), weightsDir, onLog: (message) => logs.push(message) });
  assert.equal(sameWeights(source, built.base!), true);
  assert.equal(built.model.countParams(), 2_257_984 + 1280 * 8 + 8 + 8 * 10 + 10);
  assert.ok(logs.some((line) => line.includes(fileName) && /sha256 [0-9a-f]{64}/.test(line)), logs.join('\n'));
});

test('truncated h5 file fails with its path', async () => {
  const path = join(workDir, 'truncated.h5');
  const source = buildMobileNetV2Base({ alpha: 0.35, inputSize: 32, seed: 1 });
  await writeKerasWeightsFile(path, kerasLayerWeights(source));
  const bytes = await readFile(path);
  await writeFile(path, bytes.subarray(0, 4096));

  await assert.rejects(readKerasH5Weights(path), /truncated\.h5 cannot be opened as an HDF5 file/);
});
