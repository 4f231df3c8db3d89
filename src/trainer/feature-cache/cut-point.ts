import * as tf from '@tensorflow/tfjs';

type SymbolicTensor = tf.SymbolicTensor;
type LayerVariable = tf.LayerVariable;

/**
 * One layer call of a model with nested models expanded: the layer and the
 * tensors it reads and writes. Tensors are canonical, so a nested model's input
 * is the outer tensor it was applied to and its output is the inner tensor.
 */
export interface GraphOp {
  layer: tf.layers.Layer;
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  callArgs: Record<string, unknown>;
}

/**
 * Layer classes whose output in training mode depends on the batch or on random
 * draws, so their activations cannot be computed once and reused. TensorFlow.js'
 * stock BatchNormalization also normalizes with batch statistics during training
 * and updates its moving statistics even when frozen.
 */
const TRAINING_DEPENDENT_CLASSES = new Set([
  'BatchNormalization',
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'AlphaDropout',
  'GaussianDropout',
  'GaussianNoise',
  'SeededDropout',
]);

/** The split of a model into a frozen part, computed once, and a trainable tail. */
export interface CutPoint {
  /** Every layer call in topological order. */
  ops: GraphOp[];
  /** The model's outputs, in the canonical form of `ops`. */
  outputs: SymbolicTensor[];
  /** The ops whose output does not change while training: no trainable weight and only frozen inputs. */
  frozen: GraphOp[];
  /** Frozen tensors that trainable ops read: the activations to cache, in a fixed order. */
  tensors: SymbolicTensor[];
}

/** A cut point, or the reason why the model has none worth caching. */
export type CutResult = { cut: CutPoint } | { reason: string };

/**
 * Finds the cut of a compiled-for-training model from its layer graph. The
 * frozen part is every layer call with no weight in `trainable` whose inputs
 * are all frozen. The cut is the set of frozen tensors read by the rest, so a
 * residual connection that skips into the trainable part adds a second tensor.
 * Returns a reason instead when nothing with weights is frozen, when nothing
 * trains, or when a frozen layer depends on the training mode.
 */
export function findCutPoint(model: tf.LayersModel, trainable: readonly LayerVariable[] = model.trainableWeights): CutResult {
  let graph: FlatGraph;
  try {
    graph = flattenGraph(model);
  } catch (error) {
    return { reason: (error as Error).message };
  }
  const { ops, outputs } = graph;
  const trainableSet = new Set(trainable);
  const frozenTensors = new Set<SymbolicTensor>();
  const frozen: GraphOp[] = [];
  for (const op of ops) {
    const hasTrainableWeight = op.layer.weights.some((weight) => trainableSet.has(weight));
    if (!hasTrainableWeight && op.inputs.every((tensor) => frozenTensors.has(tensor))) {
      frozen.push(op);
      op.outputs.forEach((tensor) => frozenTensors.add(tensor));
    }
  }

  if (outputs.every((tensor) => frozenTensors.has(tensor))) {
    return { reason: 'no layer of the model trains' };
  }
  if (!frozen.some((op) => op.layer.weights.length > 0)) {
    return { reason: 'no layer with weights is frozen, so there is no frozen pass to save' };
  }
  const dependent = frozen.find((op) => TRAINING_DEPENDENT_CLASSES.has(op.layer.getClassName()));
  if (dependent !== undefined) {
    return { reason: `the frozen layer "${dependent.layer.name}" (${dependent.layer.getClassName()}) behaves differently in training, so its activations cannot be reused` };
  }

  const frozenSet = new Set(frozen);
  const tensors: SymbolicTensor[] = [];
  for (const op of ops) {
    if (frozenSet.has(op)) {
      continue;
    }
    for (const tensor of op.inputs) {
      if (frozenTensors.has(tensor) && !tensors.includes(tensor)) {
        tensors.push(tensor);
      }
    }
  }
  return { cut: { ops, outputs, frozen, tensors } };
}

/**
 * Builds the model that computes the cut activations from the model's inputs,
 * sharing the frozen layers (and so their weights) with `model`.
 */
export function buildExtractor(model: tf.LayersModel, cut: CutPoint): tf.LayersModel {
  const seeds = new Map<SymbolicTensor, SymbolicTensor>();
  const inputs = model.inputs.map((tensor) => {
    const input = tf.input({ shape: tensor.shape.slice(1) as number[], dtype: tensor.dtype });
    seeds.set(tensor, input);
    return input;
  });
  const mapped = replay(cut.frozen, seeds);
  const outputs = cut.tensors.map((tensor) => lookup(mapped, tensor));
  return tf.model({ inputs, outputs, name: `${model.name}_frozen_part` });
}

/**
 * Builds the model from the cut activations to the model's outputs, sharing
 * every trainable layer with `model`: training it trains `model`'s weights.
 * Its inputs follow the order of `cut.tensors`.
 */
export function buildTail(model: tf.LayersModel, cut: CutPoint): tf.LayersModel {
  const seeds = new Map<SymbolicTensor, SymbolicTensor>();
  const inputs = cut.tensors.map((tensor) => {
    const input = tf.input({ shape: tensor.shape.slice(1) as number[], dtype: tensor.dtype });
    seeds.set(tensor, input);
    return input;
  });
  const frozenSet = new Set(cut.frozen);
  const mapped = replay(
    cut.ops.filter((op) => !frozenSet.has(op)),
    seeds,
  );
  const outputs = cut.outputs.map((tensor) => lookup(mapped, tensor));
  return tf.model({ inputs, outputs, name: `${model.name}_trainable_part` });
}

/** Describes the cut tensors for log lines: the producing layer and the shape of one image's activations. */
export function describeCut(cut: CutPoint): string {
  return cut.tensors.map((tensor) => `${tensor.sourceLayer.name} [${tensor.shape.slice(1).join('×')}]`).join(' + ');
}

/** A model's layer calls with nested models expanded, and its outputs in the same canonical form. */
export interface FlatGraph {
  ops: GraphOp[];
  outputs: SymbolicTensor[];
}

/**
 * Lists the layer calls that produce a model's outputs, in topological order,
 * expanding nested models into their own layer calls. Throws when a nested
 * model is called more than once, because each of its inner tensors
 * would then have two different values.
 */
export function flattenGraph(model: tf.LayersModel): FlatGraph {
  const ops: GraphOp[] = [];
  const visited = new Set<SymbolicTensor>();
  const alias = new Map<SymbolicTensor, SymbolicTensor>();

  const canonical = (tensor: SymbolicTensor): SymbolicTensor => {
    let current = tensor;
    for (let next = alias.get(current); next !== undefined; next = alias.get(current)) {
      current = next;
    }
    return current;
  };
  const setAlias = (from: SymbolicTensor, to: SymbolicTensor): void => {
    const existing = alias.get(from);
    if (existing !== undefined && existing !== to) {
      throw new Error(`the nested model of layer "${from.sourceLayer.name}" is called more than once`);
    }
    alias.set(from, to);
  };

  // Emits the calls a tensor depends on before the call that produces it.
  const visit = (tensor: SymbolicTensor): void => {
    const resolved = canonical(tensor);
    if (visited.has(resolved)) {
      return;
    }
    const layer = resolved.sourceLayer;
    const node = layer.inboundNodes[resolved.nodeIndex];
    if (layer instanceof tf.LayersModel) {
      // An outer call of a nested model: its inner inputs become aliases of the outer tensors it
      // was applied to, and its outer outputs aliases of the inner tensors that produce them.
      node.inputTensors.forEach((outer, index) => setAlias(layer.inputs[index], outer));
      node.outputTensors.forEach((outer, index) => setAlias(outer, layer.outputs[index]));
      visit(resolved);
      return;
    }

    node.outputTensors.forEach((output) => visited.add(output));
    if (node.inboundLayers.length === 0) {
      // An InputLayer: its node lists the input tensor as both input and output.
      ops.push({ layer, inputs: [], outputs: node.outputTensors, callArgs: {} });
      return;
    }
    node.inputTensors.forEach((input) => visit(input));
    const inputs = node.inputTensors.map((input) => canonical(input));
    ops.push({ layer, inputs, outputs: node.outputTensors, callArgs: (node.callArgs ?? {}) as Record<string, unknown> });
  };

  model.outputs.forEach((output) => visit(output));
  return { ops, outputs: model.outputs.map((output) => canonical(output)) };
}

/** Applies `ops` in order to new symbolic tensors, starting from `seeds`. Ops whose inputs are missing are skipped. */
function replay(ops: GraphOp[], seeds: Map<SymbolicTensor, SymbolicTensor>): Map<SymbolicTensor, SymbolicTensor> {
  const mapped = new Map(seeds);
  for (const op of ops) {
    if (op.inputs.length === 0 || !op.inputs.every((tensor) => mapped.has(tensor))) {
      continue;
    }
    const inputs = op.inputs.map((tensor) => lookup(mapped, tensor));
    const result = op.layer.apply(inputs.length === 1 ? inputs[0] : inputs, op.callArgs) as SymbolicTensor | SymbolicTensor[];
    const outputs = Array.isArray(result) ? result : [result];
    op.outputs.forEach((tensor, index) => mapped.set(tensor, outputs[index]));
  }
  return mapped;
}

function lookup(mapped: Map<SymbolicTensor, SymbolicTensor>, tensor: SymbolicTensor): SymbolicTensor {
  const found = mapped.get(tensor);
  if (found === undefined) {
    throw new Error(`the feature cache could not rebuild the tensor of layer "${tensor.sourceLayer.name}" from the cut`);
  }
  return found;
}
