import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../errors.ts';
import { weightKey, type NamedWeights } from './named-weights.ts';

interface WeightsManifestGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

/**
 * Reads the weights of a TensorFlow.js layers model (a `model.json` with its
 * weight files, such as `weights.bin`, beside it) straight from disk, by name.
 * `tf.loadLayersModel('file://…')` needs tfjs-node, which this project cannot
 * assume, and loading the weights by name also works when the stored topology
 * differs from the model they go into. Quantized weights are dequantized.
 */
export async function readLayersModelWeights(modelJsonPath: string): Promise<NamedWeights> {
  let text: string;
  try {
    text = await readFile(modelJsonPath, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read the TensorFlow.js model file ${modelJsonPath}: ${(error as Error).message}`, { cause: error });
  }
  let modelJson: { format?: unknown; weightsManifest?: unknown };
  try {
    modelJson = JSON.parse(text) as typeof modelJson;
  } catch (error) {
    throw new InputError(`${modelJsonPath} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') {
    throw new InputError(`${modelJsonPath} contains a TensorFlow.js "${String(modelJson.format)}", not a "layers-model". Convert the model with tensorflowjs_converter --output_format tfjs_layers_model`);
  }
  if (!Array.isArray(modelJson.weightsManifest)) {
    throw new InputError(`${modelJsonPath} has no weightsManifest, so it lists no weights to load`);
  }

  const weights: NamedWeights = new Map();
  for (const group of modelJson.weightsManifest as WeightsManifestGroup[]) {
    const buffers: Buffer[] = [];
    for (const path of group.paths) {
      const weightsPath = join(dirname(modelJsonPath), path);
      try {
        buffers.push(await readFile(weightsPath));
      } catch (error) {
        throw new InputError(`cannot read ${weightsPath}, a weights file listed in ${modelJsonPath}: ${(error as Error).message}`, { cause: error });
      }
    }
    const bytes = Buffer.concat(buffers);
    const expectedBytes = group.weights.reduce((sum, entry) => sum + byteLength(entry), 0);
    if (bytes.byteLength !== expectedBytes) {
      throw new InputError(`${group.paths.join(', ')} (beside ${modelJsonPath}) hold ${bytes.byteLength} bytes, but the manifest lists weights of ${expectedBytes} bytes; the files are truncated or belong to another model`);
    }

    const tensors = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), group.weights);
    for (const [storedName, tensor] of Object.entries(tensors)) {
      const name = weightKey(storedName);
      weights.set(name, { name, shape: tensor.shape, values: Float32Array.from(tensor.dataSync()) });
      tensor.dispose();
    }
  }
  return weights;
}

/** Bytes one manifest entry takes in the weight files. */
function byteLength(entry: tf.io.WeightsManifestEntry): number {
  const count = entry.shape.reduce((product, size) => product * size, 1);
  if (entry.quantization !== undefined) {
    const bytesPerValue = entry.quantization.dtype === 'uint8' ? 1 : 2;
    return count * bytesPerValue;
  }
  if (entry.dtype === 'float32' || entry.dtype === 'int32') {
    return count * 4;
  }
  if (entry.dtype === 'bool') {
    return count;
  }
  throw new InputError(`weight "${entry.name}" has dtype ${entry.dtype}, which cannot be loaded as a model weight`);
}
