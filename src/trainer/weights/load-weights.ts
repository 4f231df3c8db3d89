import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../errors.ts';
import type { NamedWeights } from './named-weights.ts';

/** How many names a mismatch message lists of each kind before it abbreviates. */
const listedNames = 20;

/** The weights file and the model do not have the same weights. */
export class WeightMismatchError extends InputError {
  /** Weights of the model that the file lacks, as `<layer>/<weight>`. */
  readonly missing: readonly string[];
  /** Weights in the file that the model lacks. */
  readonly unexpected: readonly string[];
  /** Weights present in both with different shapes, described as `name: file [..] vs model [..]`. */
  readonly shapeMismatches: readonly string[];

  constructor(source: string, missing: string[], unexpected: string[], shapeMismatches: string[]) {
    const parts = [
      describe('missing from the file', missing),
      describe('unexpected in the file', unexpected),
      describe('with a different shape', shapeMismatches),
    ].filter((part) => part !== '');
    super(`the weights in ${source} do not match the model: ${parts.join('; ')}. Use weights saved from the same architecture (same alpha, Keras layer names)`);
    this.missing = missing;
    this.unexpected = unexpected;
    this.shapeMismatches = shapeMismatches;
  }
}

function describe(label: string, names: string[]): string {
  if (names.length === 0) {
    return '';
  }
  const shown = names.slice(0, listedNames).join(', ');
  const more = names.length > listedNames ? `, … and ${names.length - listedNames} more` : '';
  return `${names.length} ${label} (${shown}${more})`;
}

/**
 * Sets every weight of `model` from `weights`, matched by `<layer name>/<weight
 * name>` as Keras' `load_weights(by_name=True)` matches by layer name. All
 * weights must match both ways and in shape, or it throws a WeightMismatchError
 * and changes nothing. Returns the number of values loaded.
 */
export function loadWeightsByName(model: tf.LayersModel, weights: NamedWeights, source: string): number {
  const expected = new Map<string, { layer: tf.layers.Layer; shape: number[] }>();
  for (const layer of model.layers) {
    for (const variable of layer.weights) {
      const weightName = variable.originalName.split('/').pop() ?? variable.originalName;
      expected.set(`${layer.name}/${weightName}`, { layer, shape: variable.shape as number[] });
    }
  }

  const missing = [...expected.keys()].filter((name) => !weights.has(name));
  const unexpected = [...weights.keys()].filter((name) => !expected.has(name));
  const shapeMismatches: string[] = [];
  for (const [name, { shape }] of expected) {
    const stored = weights.get(name);
    if (stored !== undefined && !sameShape(stored.shape, shape)) {
      shapeMismatches.push(`${name}: file [${stored.shape.join(', ')}] vs model [${shape.join(', ')}]`);
    }
  }
  if (missing.length > 0 || unexpected.length > 0 || shapeMismatches.length > 0) {
    throw new WeightMismatchError(source, missing, unexpected, shapeMismatches);
  }

  let values = 0;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) {
      continue;
    }
    const tensors = layer.weights.map((variable) => {
      const weightName = variable.originalName.split('/').pop() ?? variable.originalName;
      const stored = weights.get(`${layer.name}/${weightName}`)!;
      values += stored.values.length;
      return tf.tensor(stored.values, stored.shape, 'float32');
    });
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  return values;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((size, index) => size === b[index]);
}
