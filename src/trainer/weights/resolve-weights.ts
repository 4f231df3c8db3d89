import { readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { EnvironmentError, InputError } from '../../errors.ts';
import { downloadFile, recordedSha256, sha256File } from './download.ts';
import { hasHdf5Signature, readKerasH5Weights } from './keras-h5.ts';
import { readLayersModelWeights } from './layers-model-weights.ts';
import type { NamedWeights } from './named-weights.ts';

/** Base URL of keras.applications' MobileNetV2 weight files. */
export const kerasMobileNetV2BaseUrl = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/';

/** The width multipliers that keras.applications publishes ImageNet weights for. */
export const imagenetAlphas: readonly number[] = [0.35, 0.5, 0.75, 1.0, 1.3, 1.4];

/** The input sizes that keras.applications publishes weights for; other sizes use the 224 weights. */
export const imagenetSizes: readonly number[] = [96, 128, 160, 192, 224];

/** A weights file ready to read: a Keras HDF5 file or a TensorFlow.js layers model. */
export interface WeightsFile {
  format: 'keras-h5' | 'tfjs-layers';
  /** The `.h5` file, or the `model.json` of a TensorFlow.js model. */
  path: string;
  /** sha256 (hex) of each file read, by file name, for the trial's records. */
  sha256: Record<string, string>;
}

export interface ImagenetWeightsOptions {
  alpha: number;
  inputSize: number;
  /** Looked in first (`SWEEP_WEIGHTS_DIR`). */
  weightsDir?: string;
  /** The download cache; weight files go into its `models` folder, as Keras uses `~/.keras/models`. */
  cacheDir: string;
  /** Default: keras.applications' own URL. */
  baseUrl?: string;
  onLog?: (message: string) => void;
}

/** Formats alpha as Python's `str(float(alpha))` does in Keras' file names: 1 → `1.0`, 0.35 → `0.35`. */
export function formatAlpha(alpha: number): string {
  return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

/** Returns the input size of the published weights that Keras picks for an input size. */
export function imagenetWeightsSize(inputSize: number): number {
  return imagenetSizes.includes(inputSize) ? inputSize : 224;
}

/** Keras' file name of MobileNetV2's ImageNet weights without the classifier, for example `…_1.0_96_no_top.h5`. */
export function kerasWeightsFileName(alpha: number, size: number): string {
  return `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${formatAlpha(alpha)}_${size}_no_top.h5`;
}

/** Folder name of the same weights as a TensorFlow.js layers model, for example `mobilenet_v2_0.35_224_no_top`. */
export function layersModelFolderName(alpha: number, size: number): string {
  return `mobilenet_v2_${formatAlpha(alpha)}_${size}_no_top`;
}

/**
 * Finds MobileNetV2's ImageNet weights for `weights: imagenet`. It looks in
 * `weightsDir`, then in `<cacheDir>/models`, for a TensorFlow.js folder
 * `mobilenet_v2_<alpha>_<size>_no_top/model.json` or Keras'
 * `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_<alpha>_<size>_no_top.h5`.
 * Size is the input size when Keras publishes weights for it, then 224, because
 * the weights fit any input size. When no file exists it downloads the Keras
 * file into the cache. A cached download whose recorded sha256 no longer
 * matches is fetched again.
 */
export async function resolveImagenetWeights(options: ImagenetWeightsOptions): Promise<WeightsFile> {
  const { alpha, inputSize, onLog } = options;
  if (!imagenetAlphas.includes(alpha)) {
    throw new InputError(`model.base.alpha ${alpha} has no ImageNet weights; keras.applications publishes them for alpha ${imagenetAlphas.map(formatAlpha).join(', ')}. Choose one of those or set model.base.weights to none`);
  }
  const size = imagenetWeightsSize(inputSize);
  const sizes = size === 224 ? [224] : [size, 224];
  const candidates = sizes.flatMap((candidateSize) => [
    join(layersModelFolderName(alpha, candidateSize), 'model.json'),
    kerasWeightsFileName(alpha, candidateSize),
  ]);
  const cacheModels = join(options.cacheDir, 'models');
  const folders = options.weightsDir === undefined ? [cacheModels] : [resolve(options.weightsDir), cacheModels];

  for (const folder of folders) {
    for (const candidate of candidates) {
      const path = join(folder, candidate);
      if (!(await isFile(path))) {
        continue;
      }
      const recorded = await recordedSha256(path);
      const file = await describeWeightsFile(path);
      const actual = file.sha256[basename(path)];
      if (recorded !== undefined && recorded !== actual) {
        onLog?.(`${path} has sha256 ${actual}, but ${recorded} was recorded when it was downloaded; downloading it again`);
        await rm(path, { force: true });
        continue;
      }
      onLog?.(`using ImageNet weights ${path} (sha256 ${actual})`);
      return file;
    }
  }

  const fileName = kerasWeightsFileName(alpha, size);
  const url = new URL(fileName, options.baseUrl ?? kerasMobileNetV2BaseUrl).href;
  const destination = join(cacheModels, fileName);
  onLog?.(`downloading ${url} to ${destination}`);
  try {
    await downloadFile(url, destination);
  } catch (error) {
    const places = folders.join(' or ');
    const folderName = layersModelFolderName(alpha, size);
    throw new EnvironmentError(
      `cannot find MobileNetV2 ImageNet weights for alpha ${formatAlpha(alpha)}, and downloading ${url} failed: ${(error as Error).message}. ` +
        `Put ${fileName}, or a TensorFlow.js layers model ${folderName}/model.json with its weights.bin, into ${places}` +
        `${options.weightsDir === undefined ? ' (or into the folder that SWEEP_WEIGHTS_DIR names)' : ''}, or set model.base.weights to the path of such a file.`,
      { cause: error },
    );
  }
  if (!(await hasHdf5Signature(destination))) {
    await rm(destination, { force: true });
    await rm(`${destination}.sha256`, { force: true });
    throw new EnvironmentError(`${url} did not return an HDF5 file (the server may have sent an error page); the download was deleted. Download ${fileName} by hand into ${cacheModels}`);
  }
  const file = await describeWeightsFile(destination);
  onLog?.(`downloaded ${destination} (sha256 ${file.sha256[fileName]})`);
  return file;
}

/**
 * Resolves a weights path from a config (`model.base.weights`): a Keras `.h5`
 * file, a TensorFlow.js `model.json`, or a folder holding a `model.json`.
 * Relative paths start at the working directory.
 */
export async function resolveWeightsPath(path: string): Promise<WeightsFile> {
  const absolute = resolve(path);
  let info;
  try {
    info = await stat(absolute);
  } catch {
    throw new InputError(`model.base.weights: ${absolute} does not exist; give a Keras .h5 weights file, a TensorFlow.js model.json, or a folder with a model.json (or use imagenet or none)`);
  }
  if (info.isDirectory()) {
    const modelJson = join(absolute, 'model.json');
    if (!(await isFile(modelJson))) {
      throw new InputError(`model.base.weights: the folder ${absolute} has no model.json; give a TensorFlow.js layers model folder or a Keras .h5 file`);
    }
    return describeWeightsFile(modelJson);
  }
  return describeWeightsFile(absolute);
}

/** Reads every weight of a resolved weights file, by `<layer>/<weight>` name. */
export async function readWeights(file: WeightsFile): Promise<NamedWeights> {
  return file.format === 'keras-h5' ? readKerasH5Weights(file.path) : readLayersModelWeights(file.path);
}

/** Works out a file's format from its name and content and records the sha256 of its files. */
async function describeWeightsFile(path: string): Promise<WeightsFile> {
  if (extname(path).toLowerCase() === '.json') {
    const sha256: Record<string, string> = { [basename(path)]: await sha256File(path) };
    for (const weightsPath of await listedWeightFiles(path)) {
      const absolute = join(dirname(path), weightsPath);
      if (!(await isFile(absolute))) {
        throw new InputError(`${absolute} is missing: ${path} lists it as a weights file, so copy it beside the model.json`);
      }
      sha256[weightsPath] = await sha256File(absolute);
    }
    return { format: 'tfjs-layers', path, sha256 };
  }
  if (!(await hasHdf5Signature(path))) {
    throw new InputError(`model.base.weights: ${path} is neither a TensorFlow.js model.json nor an HDF5 file; give a Keras .h5 weights file or a model.json`);
  }
  return { format: 'keras-h5', path, sha256: { [basename(path)]: await sha256File(path) } };
}

async function listedWeightFiles(modelJsonPath: string): Promise<string[]> {
  try {
    const manifest = (JSON.parse(await readFile(modelJsonPath, 'utf8')) as { weightsManifest?: { paths?: string[] }[] }).weightsManifest ?? [];
    return manifest.flatMap((group) => group.paths ?? []);
  } catch (error) {
    throw new InputError(`cannot read the TensorFlow.js model file ${modelJsonPath}: ${(error as Error).message}`, { cause: error });
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
