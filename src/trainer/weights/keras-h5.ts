import { open } from 'node:fs/promises';
import h5wasm from 'h5wasm/node';
import { InputError } from '../../errors.ts';
import { weightKey, type NamedWeights } from './named-weights.ts';

/** The 8 bytes every HDF5 file starts with. */
const hdf5Signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Returns true when the file at `path` starts with the HDF5 signature. */
export async function hasHdf5Signature(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(hdf5Signature.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(hdf5Signature);
  } finally {
    await handle.close();
  }
}

/**
 * Reads the weights of a Keras HDF5 weights file, as `model.save_weights` and
 * the `keras.applications` downloads write it: the root attribute `layer_names`,
 * one group per layer with the attribute `weight_names`, and one dataset per
 * weight at `<layer>/<weight name>`, for example `Conv1/Conv1/kernel:0`. A full
 * model file (`model.save`) keeps the same layout under `model_weights`.
 *
 * NOTE: checked only against files written in that layout with h5wasm, because
 * no official keras.applications file could be downloaded where this was written.
 */
export async function readKerasH5Weights(path: string): Promise<NamedWeights> {
  if (!(await hasHdf5Signature(path))) {
    throw new InputError(`${path} is not an HDF5 file (it lacks the HDF5 signature); expected Keras weights such as mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5`);
  }
  await h5wasm.ready;
  // h5wasm returns a File with a negative id, instead of throwing, when the HDF5 library cannot open it.
  const file = new h5wasm.File(path, 'r');
  if (file.file_id < 0n) {
    throw new InputError(`${path} cannot be opened as an HDF5 file; it may be truncated or damaged, so download or copy it again`);
  }
  try {
    let root: InstanceType<typeof h5wasm.Group> = file;
    if (!('layer_names' in file.attrs)) {
      const modelWeights = file.get('model_weights');
      if (!(modelWeights instanceof h5wasm.Group) || !('layer_names' in modelWeights.attrs)) {
        throw new InputError(`${path} is not a Keras weights file: it has no layer_names attribute at its root or under model_weights`);
      }
      root = modelWeights;
    }

    const weights: NamedWeights = new Map();
    for (const layerName of stringList(root.attrs['layer_names']?.value)) {
      const group = root.get(layerName);
      if (!(group instanceof h5wasm.Group)) {
        throw new InputError(`${path}: layer_names lists "${layerName}" but the file has no group of that name`);
      }
      for (const weightName of stringList(group.attrs['weight_names']?.value)) {
        const dataset = group.get(weightName);
        if (!(dataset instanceof h5wasm.Dataset)) {
          throw new InputError(`${path}: layer "${layerName}" lists weight "${weightName}" but the file has no dataset ${layerName}/${weightName}`);
        }
        const name = `${layerName}/${weightKey(weightName).split('/').pop()}`;
        weights.set(name, { name, shape: dataset.shape ?? [], values: toFloat32(dataset.value, `${path}: ${layerName}/${weightName}`) });
      }
    }
    return weights;
  } finally {
    file.close();
  }
}

/** Turns an HDF5 string attribute (one string or an array of them, possibly empty) into an array. */
function stringList(value: unknown): string[] {
  if (value == null) {
    return [];
  }
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value)) {
    return value.map(String);
  }
  throw new InputError(`expected a string attribute in the Keras weights file, got ${typeof value}`);
}

function toFloat32(value: unknown, where: string): Float32Array {
  if (value instanceof Float32Array) {
    return value;
  }
  if (value instanceof Float64Array || value instanceof Int32Array || value instanceof Uint8Array || value instanceof Int16Array || value instanceof Uint16Array) {
    return Float32Array.from(value);
  }
  throw new InputError(`${where} is not a numeric dataset`);
}
