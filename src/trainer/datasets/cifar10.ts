import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EnvironmentError, InputError } from '../../errors.ts';
import { cacheDir } from '../../paths.ts';
import type { DatasetConfig } from '../../spec/trial-config.ts';
import { createRandom, deriveSeed, shuffleInPlace } from '../random.ts';
import {
  CIFAR10_CLASSES,
  CIFAR10_META_FILE,
  CIFAR10_TEST_FILE,
  CIFAR10_TRAIN_FILES,
  readCifar10Records,
  type ImageRecords,
} from './cifar10-binary.ts';
import { CIFAR10_FOLDER, DownloadError, downloadCifar10, type DownloadOptions } from './cifar10-download.ts';

/** Class names in label order, used when batches.meta.txt is absent. */
export const CIFAR10_CLASS_NAMES: readonly string[] = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Folder searched for the CIFAR-10 files, and the setting that chose it. */
export interface Cifar10Location {
  dir: string;
  source: 'dataset.path' | 'SWEEP_DATA_DIR' | 'cache';
}

/**
 * A subset of a record set: `indices` select images of the shared `records`,
 * so the validation split and the training split share one copy of the bytes.
 */
export interface ImageSplit {
  records: ImageRecords;
  indices: Uint32Array;
}

export interface Cifar10Splits {
  train: ImageSplit;
  validation: ImageSplit;
  test: ImageSplit;
  classNames: string[];
  dir: string;
}

export interface LoadCifar10Options {
  env?: NodeJS.ProcessEnv;
  onLog?: (message: string) => void;
  /** Settings of the download used when the cache has no copy. */
  download?: Omit<DownloadOptions, 'env' | 'onLog'>;
}

/**
 * Returns the folder to read CIFAR-10 from: `dataset.path` when given (relative
 * paths resolve against the working directory), else `SWEEP_DATA_DIR`, else
 * `cacheDir()/datasets/cifar-10-batches-bin`.
 */
export function locateCifar10(dataset: Pick<DatasetConfig, 'path'>, env: NodeJS.ProcessEnv = process.env): Cifar10Location {
  if (dataset.path !== undefined && dataset.path !== '') {
    return { dir: resolve(dataset.path), source: 'dataset.path' };
  }
  if (env.SWEEP_DATA_DIR !== undefined && env.SWEEP_DATA_DIR !== '') {
    return { dir: resolve(env.SWEEP_DATA_DIR), source: 'SWEEP_DATA_DIR' };
  }
  return { dir: join(cacheDir(env), 'datasets', CIFAR10_FOLDER), source: 'cache' };
}

/** Returns the names of the batch files missing from a folder (batches.meta.txt is optional). */
export function missingCifar10Files(dir: string): string[] {
  return [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].filter((name) => !existsSync(join(dir, name)));
}

/**
 * Makes sure the batch files are present and returns their folder. A folder given
 * by `dataset.path` or `SWEEP_DATA_DIR` must hold them; only the cache is
 * filled by downloading the official archive.
 */
export async function ensureCifar10(dataset: Pick<DatasetConfig, 'path'>, options: LoadCifar10Options = {}): Promise<string> {
  const env = options.env ?? process.env;
  const location = locateCifar10(dataset, env);
  const missing = missingCifar10Files(location.dir);
  if (missing.length === 0) {
    return location.dir;
  }

  if (location.source !== 'cache') {
    throw new EnvironmentError(
      `CIFAR-10 files are missing from ${location.dir} (set by ${location.source}): ${missing.join(', ')}. ` +
        `Put the files of the cifar-10-batches-bin folder from cifar-10-binary.tar.gz there, or point ${location.source} at the folder that holds them.`,
    );
  }
  try {
    return await downloadCifar10(join(location.dir, '..'), { ...options.download, env, onLog: options.onLog });
  } catch (error) {
    if (error instanceof DownloadError) {
      throw new EnvironmentError(
        `CIFAR-10 is not in ${location.dir} and ${error.message}. ` +
          `Without network access, copy data_batch_1.bin … data_batch_5.bin, test_batch.bin and batches.meta.txt ` +
          `(the cifar-10-batches-bin folder of cifar-10-binary.tar.gz) into ${location.dir}, ` +
          'or set SWEEP_DATA_DIR (or dataset.path in the sweep file) to the folder that holds them.',
        { cause: error },
      );
    }
    throw error;
  }
}

/**
 * Reads the class names from batches.meta.txt (one per line), or returns the
 * standard names when the file is absent or does not list 10 names.
 */
export function readClassNames(dir: string, onLog?: (message: string) => void): string[] {
  const path = join(dir, CIFAR10_META_FILE);
  if (!existsSync(path)) {
    return [...CIFAR10_CLASS_NAMES];
  }
  const names = readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (names.length !== CIFAR10_CLASSES) {
    onLog?.(`${path} lists ${names.length} class names instead of ${CIFAR10_CLASSES}; using the standard CIFAR-10 names`);
    return [...CIFAR10_CLASS_NAMES];
  }
  return names;
}

/**
 * Loads the training, validation and test splits. Limits keep the first N
 * records of a split in file order (data_batch_1.bin first), not a stratified
 * sample. The train limit applies before the validation split. The validation
 * images are a random `validation_split` fraction of those, chosen by `seed`,
 * so the same seed always holds out the same images. Images stay as bytes.
 */
export async function loadCifar10(dataset: DatasetConfig, seed: number, options: LoadCifar10Options = {}): Promise<Cifar10Splits> {
  checkDatasetConfig(dataset);
  const dir = await ensureCifar10(dataset, options);

  const trainRecords = readCifar10Records(
    CIFAR10_TRAIN_FILES.map((name) => join(dir, name)),
    dataset.limits?.train,
  );
  const testRecords = readCifar10Records([join(dir, CIFAR10_TEST_FILE)], dataset.limits?.test);
  const { train, validation } = splitValidation(trainRecords, dataset.validation_split, seed);

  return {
    train,
    validation,
    test: { records: testRecords, indices: range(testRecords.count) },
    classNames: readClassNames(dir, options.onLog),
    dir,
  };
}

/**
 * Holds out `round(count × fraction)` random records for validation, chosen by a
 * PRNG seeded from `seed`. Both index lists come back sorted.
 */
export function splitValidation(records: ImageRecords, fraction: number, seed: number): { train: ImageSplit; validation: ImageSplit } {
  const order = shuffleInPlace(range(records.count), createRandom(deriveSeed(seed, 0x5e1ec7)));
  const validationCount = Math.round(records.count * fraction);
  const validation = order.slice(0, validationCount).sort();
  const train = order.slice(validationCount).sort();
  return { train: { records, indices: train }, validation: { records, indices: validation } };
}

function checkDatasetConfig(dataset: DatasetConfig): void {
  const fraction = dataset.validation_split;
  if (!(fraction >= 0 && fraction < 1)) {
    throw new InputError(`dataset.validation_split must be at least 0 and below 1, got ${fraction}`);
  }
  for (const [split, limit] of Object.entries(dataset.limits ?? {})) {
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      throw new InputError(`dataset.limits.${split} must be a positive integer, got ${limit}`);
    }
  }
}

function range(count: number): Uint32Array {
  const values = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = i;
  }
  return values;
}
