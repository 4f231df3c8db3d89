import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
// Registers SeededDropout, so that saved models using it load.
import './models/seeded-dropout.ts';
import { builtInModelKeys, findModelBuilder } from './models/registry.ts';
// Registers the MobileNetV2 custom layers (ResizeBilinear, InferenceBatchNormalization) for the same reason.
import './layers/index.ts';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Returns an IO handler that writes a model in the TensorFlow.js layers format
 * (model.json plus one weights.bin shard) into `dir`, the layout that
 * `tf.loadLayersModel('file://…/model.json')` of tfjs-node reads. It needs no
 * native backend. Files are written under temporary names and then renamed.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    mkdirSync(dir, { recursive: true });
    const weights = weightBytes(artifacts.weightData);
    const manifest: tf.io.WeightsManifestConfig = [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }];
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: manifest,
    };
    if (artifacts.trainingConfig !== undefined) {
      modelJson.trainingConfig = artifacts.trainingConfig;
    }
    if (artifacts.userDefinedMetadata !== undefined) {
      modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
    }

    writeAtomically(join(dir, WEIGHTS_BIN), weights);
    writeAtomically(join(dir, MODEL_JSON), JSON.stringify(modelJson));
    return {
      modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
    };
  });
}

/**
 * Returns an IO handler that reads a model saved by `fileSaveHandler` (or any
 * TensorFlow.js layers model whose weight files sit next to model.json).
 * Weight paths in the manifest resolve against the folder of model.json.
 */
export function fileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  const dir = join(modelJsonPath, '..');
  return {
    load: async () => {
      const modelJson = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const shards: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            shards.push(readFileSync(join(dir, path)));
          }
        }
        return [specs, concatBytes(shards)];
      });
    },
  };
}

/** Saves a layers model into `dir` as model.json + weights.bin and returns the file names written. */
export async function saveModel(model: tf.LayersModel, dir: string): Promise<string[]> {
  await model.save(fileSaveHandler(dir));
  return [MODEL_JSON, WEIGHTS_BIN];
}

/**
 * Loads a layers model saved by `saveModel`, including the custom layers of the
 * built-in models; other custom layers must be registered with
 * `tf.serialization.registerClass` first. Compile it again before training.
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  // Importing the built-in model modules registers their custom layers (for MobileNetV2:
  // inference-mode batch normalization and resizing), which the topology may name.
  for (const key of builtInModelKeys()) {
    await findModelBuilder(key);
  }
  return tf.loadLayersModel(fileLoadHandler(join(dir, MODEL_JSON)));
}

/** Flattens TensorFlow.js weight data (one buffer or a list of shards) into bytes. */
export function weightBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) {
    return new Uint8Array(0);
  }
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/** Writes a file through a temporary name, so a crash never leaves a half-written file under the real name. */
export function writeAtomically(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

function concatBytes(parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out.buffer;
}
