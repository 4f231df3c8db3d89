import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';

/** The weights of one layer as Keras stores them: names like `Conv1/kernel:0`. */
export interface KerasLayerWeights {
  layer: string;
  weights: { name: string; shape: number[]; values: Float32Array }[];
}

/** Lists a model's layers with their current weights in Keras' naming. */
export function kerasLayerWeights(model: tf.LayersModel): KerasLayerWeights[] {
  return model.layers.map((layer) => ({
    layer: layer.name,
    weights: layer.weights.map((variable) => ({
      name: `${layer.name}/${variable.originalName.split('/').pop()}:0`,
      shape: variable.shape as number[],
      values: variable.read().dataSync() as Float32Array,
    })),
  }));
}

/**
 * Writes a weights file in the layout of Keras 2's `save_weights` (HDF5): fixed-length
 * string attributes `layer_names` at the root and `weight_names` per layer group (empty
 * for layers without weights), and each weight as a float32 dataset at
 * `<layer>/<layer>/<weight>:0`.
 */
export async function writeKerasWeightsFile(path: string, layers: KerasLayerWeights[]): Promise<void> {
  await h5wasm.ready;
  const file = new h5wasm.File(path, 'w');
  try {
    const layerNames = layers.map((entry) => entry.layer);
    file.create_attribute('layer_names', layerNames, [layerNames.length], fixedString(layerNames));
    file.create_attribute('backend', 'tensorflow');
    file.create_attribute('keras_version', '2.2.4');
    for (const entry of layers) {
      const group = file.create_group(entry.layer);
      const weightNames = entry.weights.map((weight) => weight.name);
      group.create_attribute('weight_names', weightNames, [weightNames.length], fixedString(weightNames));
      for (const weight of entry.weights) {
        // h5py creates the groups of a slash-separated dataset name; h5wasm needs them made first.
        const segments = weight.name.split('/');
        let parent = group;
        for (const segment of segments.slice(0, -1)) {
          const existing = parent.get(segment);
          parent = existing instanceof h5wasm.Group ? existing : parent.create_group(segment);
        }
        parent.create_dataset({ name: segments.at(-1)!, data: weight.values, shape: weight.shape, dtype: '<f' });
      }
    }
  } finally {
    file.close();
  }
}

/** Returns the numpy-style fixed-length string type (`S<n>`) that h5py gives Keras' name lists. */
function fixedString(values: string[]): string {
  return `S${Math.max(1, ...values.map((value) => Buffer.byteLength(value)))}`;
}
