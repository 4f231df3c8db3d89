import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../errors.ts';
import { cacheDir } from '../../paths.ts';
import type { AugmentationConfig } from '../../spec/trial-config.ts';
import { isAugmenting } from '../augmentation.ts';
import { allPositions, batchPositions, imageBatch } from '../batches.ts';
import type { ImageRecords } from '../datasets/cifar10-binary.ts';
import type { Cifar10Splits, ImageSplit } from '../datasets/cifar10.ts';
import { throwIfAborted } from '../evaluate.ts';
import { buildExtractor, buildTail, describeCut, findCutPoint } from './cut-point.ts';
import { featureKey, hashFrozenPart, hashImageRecords } from './feature-key.ts';
import { formatBytes, FeatureStore, type FeatureEntry, type FillOutcome } from './feature-store.ts';

/** Default size limit of the feature cache folder: 4 GiB, room for several entries of 50,000 pooled MobileNetV2 features (50,000 × 1280 float32 = 256 MB each). */
export const DEFAULT_FEATURE_CACHE_MAX_BYTES = 4 * 1024 ** 3;

/** The feature cache settings of the environment. */
export interface FeatureCacheSettings {
  enabled: boolean;
  /** Folder of the entries: `cacheDir()/features`. */
  dir: string;
  maxBytes: number;
}

/**
 * Reads the feature cache settings: `SWEEP_FEATURE_CACHE` (`on` or `off`,
 * default `on`) and `SWEEP_FEATURE_CACHE_MAX_BYTES` (a byte count, default
 * 4 GiB). The folder is `features` under the download cache (`SWEEP_CACHE_DIR`).
 */
export function featureCacheSettings(env: NodeJS.ProcessEnv = process.env): FeatureCacheSettings {
  const switchValue = (env.SWEEP_FEATURE_CACHE ?? '').trim().toLowerCase();
  if (!['', 'on', 'off'].includes(switchValue)) {
    throw new InputError(`SWEEP_FEATURE_CACHE must be "on" or "off", got "${env.SWEEP_FEATURE_CACHE}"; unset it to use the default (on)`);
  }
  const limitText = (env.SWEEP_FEATURE_CACHE_MAX_BYTES ?? '').trim();
  const maxBytes = limitText === '' ? DEFAULT_FEATURE_CACHE_MAX_BYTES : Number(limitText);
  if (!(Number.isSafeInteger(maxBytes) && maxBytes >= 0)) {
    throw new InputError(`SWEEP_FEATURE_CACHE_MAX_BYTES must be a whole number of bytes, got "${env.SWEEP_FEATURE_CACHE_MAX_BYTES}"; for example 4294967296 for 4 GiB`);
  }
  return { enabled: switchValue !== 'off', dir: join(cacheDir(env), 'features'), maxBytes };
}

/** Builds the model inputs of a batch, from positions into a split, out of cached activations. */
export type BatchInputs = (positions: Uint32Array) => tf.Tensor[];

/**
 * The inputs of a phase whose frozen part is cached: the trainable part of
 * the model, which shares its weights with the whole model, and the cached
 * inputs of each split. `test` is present only when requested.
 */
export interface PhaseInputs {
  /**
   * The trainable part. The caller disposes it after the phase: TensorFlow.js
   * frees a layer's weights only once every model that applies the layer is
   * disposed, so the whole model's weights stay allocated while this exists.
   */
  model: tf.LayersModel;
  train: BatchInputs;
  validation: BatchInputs;
  test?: BatchInputs;
}

export interface PrepareFeatureInputsOptions {
  /** The whole model, with the weights of this phase already made trainable or frozen. */
  model: tf.LayersModel;
  data: Cifar10Splits;
  augmentation?: AugmentationConfig;
  /** Batch size of the frozen pass on a miss. */
  batchSize: number;
  /** Also prepare the test split, for the evaluation after the last phase. */
  includeTest: boolean;
  /** Default: `featureCacheSettings()`. */
  settings?: FeatureCacheSettings;
  signal?: AbortSignal;
  onLog?: (message: string) => void;
}

/**
 * Prepares a phase to train from cached activations of its frozen part. Finds
 * the cut in the layer graph, then, for each record set the splits use, reads
 * the activations from the cache or computes and stores them. Returns
 * undefined, after logging why, when the cache is off, the trial augments its
 * images, or the model has no cut worth caching.
 */
export async function prepareFeatureInputs(options: PrepareFeatureInputsOptions): Promise<PhaseInputs | undefined> {
  const log = options.onLog ?? (() => undefined);
  const settings = options.settings ?? featureCacheSettings();
  if (!settings.enabled) {
    log('feature cache: off (SWEEP_FEATURE_CACHE=off)');
    return undefined;
  }
  if (isAugmenting(options.augmentation)) {
    log('feature cache: bypassed because augmentation changes the images of every batch');
    return undefined;
  }
  const found = findCutPoint(options.model);
  if ('reason' in found) {
    log(`feature cache: bypassed because ${found.reason}`);
    return undefined;
  }

  const { cut } = found;
  const store = new FeatureStore({ dir: settings.dir, maxBytes: settings.maxBytes, onLog: log });
  const frozenHash = hashFrozenPart(cut);
  const { data } = options;
  const splits: [string, ImageSplit][] = [
    ['training', data.train],
    ['validation', data.validation],
  ];
  if (options.includeTest) {
    splits.push(['test', data.test]);
  }

  // The training and validation splits index into one record set, so they share an entry.
  const users = new Map<ImageRecords, string[]>();
  for (const [name, split] of splits) {
    if (split.indices.length > 0) {
      users.set(split.records, [...(users.get(split.records) ?? []), name]);
    }
  }
  const loaded = new Map<ImageRecords, FeatureEntry>();
  // Like the tail below, the extractor holds a reference on every layer it applies until disposed.
  const extractor = buildExtractor(options.model, cut);
  try {
    for (const [records, names] of users) {
      const key = featureKey(frozenHash, hashImageRecords(records));
      const started = performance.now();
      const { entry, outcome } = await store.getOrCreate(key, () => computeFeatures(extractor, records, options.batchSize, options.signal));
      const seconds = (performance.now() - started) / 1000;
      const bytes = entry.tensors.reduce((sum, tensor) => sum + tensor.data.byteLength, 0);
      log(`feature cache ${describeOutcome(outcome)} for the ${names.join(' and ')} images: ${entry.count} images × ${describeCut(cut)}, ${formatBytes(bytes)}, key ${key.slice(0, 12)}, ${seconds.toFixed(1)} s`);
      loaded.set(records, entry);
    }
  } finally {
    extractor.dispose();
  }

  const inputsOf = (split: ImageSplit): BatchInputs => {
    const entry = loaded.get(split.records);
    return entry === undefined ? () => emptyInputs(cut.tensors.map((tensor) => tensor.shape.slice(1) as number[])) : (positions) => gatherInputs(entry, split.indices, positions);
  };
  return {
    model: buildTail(options.model, cut),
    train: inputsOf(data.train),
    validation: inputsOf(data.validation),
    test: options.includeTest ? inputsOf(data.test) : undefined,
  };
}

/** Runs the frozen part over every image of a record set, in inference mode, batch by batch. */
async function computeFeatures(extractor: tf.LayersModel, records: ImageRecords, batchSize: number, signal: AbortSignal | undefined): Promise<FeatureEntry> {
  const shapes = extractor.outputs.map((tensor) => tensor.shape.slice(1) as number[]);
  const sizes = shapes.map((shape) => shape.reduce((total, size) => total * size, 1));
  const data = sizes.map((size) => new Float32Array(records.count * size));
  const split: ImageSplit = { records, indices: allPositions(records.count) };

  let offset = 0;
  for (const positions of batchPositions(split.indices, batchSize)) {
    throwIfAborted(signal);
    const outputs = tf.tidy(() => {
      const result = extractor.predict(imageBatch(split, positions));
      return Array.isArray(result) ? result : [result];
    });
    for (const [index, output] of outputs.entries()) {
      data[index].set(await output.data<'float32'>(), offset * sizes[index]);
    }
    tf.dispose(outputs);
    offset += positions.length;
  }
  return { count: records.count, tensors: shapes.map((shape, index) => ({ shape, data: data[index] })) };
}

/** Copies the activations of the images at `positions` of a split into one tensor per cut tensor. */
function gatherInputs(entry: FeatureEntry, indices: Uint32Array, positions: Uint32Array): tf.Tensor[] {
  return entry.tensors.map((tensor) => {
    const size = tensor.shape.reduce((total, dimension) => total * dimension, 1);
    const values = new Float32Array(positions.length * size);
    for (let b = 0; b < positions.length; b++) {
      const start = indices[positions[b]] * size;
      values.set(tensor.data.subarray(start, start + size), b * size);
    }
    return tf.tensor(values, [positions.length, ...tensor.shape], 'float32');
  });
}

function emptyInputs(shapes: number[][]): tf.Tensor[] {
  return shapes.map((shape) => tf.zeros([0, ...shape]));
}

function describeOutcome(outcome: FillOutcome): string {
  switch (outcome) {
    case 'hit':
      return 'hit';
    case 'miss':
      return 'miss (computed)';
    case 'filled-by-other':
      return 'hit (filled by another worker meanwhile)';
  }
}
