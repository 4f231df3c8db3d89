import * as tf from '@tensorflow/tfjs';
import { InputError } from '../../errors.ts';
import type { ModelConfig, TransferModelConfig } from '../../spec/trial-config.ts';
import { InferenceBatchNormalization } from '../layers/inference-batch-normalization.ts';
import { ResizeBilinear } from '../layers/resize-bilinear.ts';
import { loadWeightsByName } from '../weights/load-weights.ts';
import { readWeights, resolveImagenetWeights, resolveWeightsPath, type WeightsFile } from '../weights/resolve-weights.ts';
import type { BuildOptions, BuiltModel } from './model-builder.ts';
import { registerModel } from './registry.ts';
import { seededDropout } from './seeded-dropout.ts';

/** CIFAR-10 image shape: height, width, channels. */
const cifarShape = [32, 32, 3];

/** Keras' BatchNormalization settings in MobileNetV2. */
const batchNormEpsilon = 1e-3;
const batchNormMomentum = 0.999;

/** The smallest input side, as keras.applications allows: five stride-2 stages take 32 pixels down to 1. */
const minInputSize = 32;

/**
 * The inverted residual blocks of MobileNetV2 as keras.applications builds them,
 * one entry per block: output channels before alpha, stride and expansion factor.
 */
const blocks: readonly { filters: number; stride: number; expansion: number }[] = [
  { filters: 16, stride: 1, expansion: 1 },
  { filters: 24, stride: 2, expansion: 6 },
  { filters: 24, stride: 1, expansion: 6 },
  { filters: 32, stride: 2, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 32, stride: 1, expansion: 6 },
  { filters: 64, stride: 2, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 64, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 96, stride: 1, expansion: 6 },
  { filters: 160, stride: 2, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 160, stride: 1, expansion: 6 },
  { filters: 320, stride: 1, expansion: 6 },
];

/**
 * Rounds a channel count to a multiple of `divisor`, never below `divisor` and
 * never more than 10% below `value`, as keras.applications' `_make_divisible`.
 */
export function makeDivisible(value: number, divisor = 8): number {
  let rounded = Math.max(divisor, Math.floor(Math.trunc(value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) {
    rounded += divisor;
  }
  return rounded;
}

export interface MobileNetV2BaseOptions {
  alpha: number;
  /** Side of the square input. */
  inputSize: number;
  /** First seed of the kernel initializers; each convolution takes the next one. */
  seed: number;
}

/**
 * Builds MobileNetV2 without its classifier (`include_top=False`), layer for
 * layer as keras.applications builds it, under the same layer and weight names,
 * so Keras' and TensorFlow.js' pretrained weights load into it by name. Input:
 * `[N, size, size, 3]` scaled to [-1, 1]. Output: the `out_relu` feature map.
 *
 * Conv1 is preceded by the `Conv1_pad` ZeroPadding2D layer, as in
 * keras-applications 1.0.8, which wrote the published weight files. Newer Keras
 * versions pad inside Conv1 instead; both give the same result for even sizes,
 * and the weights are identical. BatchNormalization layers are
 * InferenceBatchNormalization layers, so they always use the moving statistics.
 */
export function buildMobileNetV2Base(options: MobileNetV2BaseOptions): tf.LayersModel {
  const { alpha, inputSize } = options;
  let nextSeed = options.seed;
  const initializer = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: nextSeed++ });
  const batchNorm = (name: string): InferenceBatchNormalization => new InferenceBatchNormalization({ name, epsilon: batchNormEpsilon, momentum: batchNormMomentum });
  const relu6 = (name: string): tf.layers.Layer => tf.layers.reLU({ maxValue: 6, name });

  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'input_1' });
  let x = tf.layers.zeroPadding2d({ padding: correctPad(inputSize), name: 'Conv1_pad' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: makeDivisible(32 * alpha), kernelSize: 3, strides: 2, padding: 'valid', useBias: false, kernelInitializer: initializer(), name: 'Conv1' }).apply(x) as tf.SymbolicTensor;
  x = batchNorm('bn_Conv1').apply(x) as tf.SymbolicTensor;
  x = relu6('Conv1_relu').apply(x) as tf.SymbolicTensor;

  blocks.forEach((block, blockId) => {
    const inputs = x;
    const inChannels = inputs.shape[3] as number;
    const size = inputs.shape[1] as number;
    const pointwiseFilters = makeDivisible(Math.trunc(block.filters * alpha));
    let prefix = `block_${blockId}_`;

    if (blockId === 0) {
      prefix = 'expanded_conv_';
    } else {
      x = tf.layers.conv2d({ filters: block.expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: initializer(), name: `${prefix}expand` }).apply(x) as tf.SymbolicTensor;
      x = batchNorm(`${prefix}expand_BN`).apply(x) as tf.SymbolicTensor;
      x = relu6(`${prefix}expand_relu`).apply(x) as tf.SymbolicTensor;
    }
    if (block.stride === 2) {
      x = tf.layers.zeroPadding2d({ padding: correctPad(size), name: `${prefix}pad` }).apply(x) as tf.SymbolicTensor;
    }
    x = tf.layers
      .depthwiseConv2d({ kernelSize: 3, strides: block.stride, padding: block.stride === 1 ? 'same' : 'valid', useBias: false, depthwiseInitializer: initializer(), name: `${prefix}depthwise` })
      .apply(x) as tf.SymbolicTensor;
    x = batchNorm(`${prefix}depthwise_BN`).apply(x) as tf.SymbolicTensor;
    x = relu6(`${prefix}depthwise_relu`).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2d({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, kernelInitializer: initializer(), name: `${prefix}project` }).apply(x) as tf.SymbolicTensor;
    x = batchNorm(`${prefix}project_BN`).apply(x) as tf.SymbolicTensor;
    if (inChannels === pointwiseFilters && block.stride === 1) {
      x = tf.layers.add({ name: `${prefix}add` }).apply([inputs, x]) as tf.SymbolicTensor;
    }
  });

  // Keras widens the last convolution only for alpha above 1.
  const lastFilters = alpha > 1.0 ? makeDivisible(1280 * alpha) : 1280;
  x = tf.layers.conv2d({ filters: lastFilters, kernelSize: 1, useBias: false, kernelInitializer: initializer(), name: 'Conv_1' }).apply(x) as tf.SymbolicTensor;
  x = batchNorm('Conv_1_bn').apply(x) as tf.SymbolicTensor;
  x = relu6('out_relu').apply(x) as tf.SymbolicTensor;

  return tf.model({ inputs: input, outputs: x, name: `mobilenetv2_${alpha.toFixed(2)}_${inputSize}` });
}

/**
 * Returns the padding before a 3×3 stride-2 convolution, as keras.applications'
 * `correct_pad` does: one row and column after an even-sized input, and one on
 * each side of an odd-sized one.
 */
function correctPad(size: number): [[number, number], [number, number]] {
  const before = size % 2 === 0 ? 0 : 1;
  return [
    [before, 1],
    [before, 1],
  ];
}

/**
 * Builds a MobileNetV2 transfer classifier for CIFAR-10 images: `[N, 32, 32, 3]`
 * pixels in [0, 1] → bilinear resize (half-pixel centers) to
 * `base.input_size` → scaled to [-1, 1] → MobileNetV2 base, frozen →
 * GlobalAveragePooling2D → Dense(`head.dense_units`, ReLU) →
 * Dropout(`head.dropout`) → Dense(classes, softmax).
 *
 * `base.weights`: `imagenet` finds the pretrained weights (`options.weightsDir`,
 * then the cache, then a download, see resolveImagenetWeights), `none` keeps the
 * seeded random initialization, any other value is a path to a Keras `.h5` file
 * or a TensorFlow.js model. With alpha 1.0, a 256-unit head and 10 classes the
 * model has 2,588,490 parameters, 330,506 of them trainable while the base is
 * frozen.
 */
export async function buildMobileNetV2Transfer(config: ModelConfig, options: BuildOptions): Promise<BuiltModel> {
  if (config.type !== 'transfer' || config.base.name !== 'mobilenet_v2') {
    const got = config.type === 'transfer' ? `transfer base "${config.base.name}"` : `type "${config.type}"`;
    throw new Error(`buildMobileNetV2Transfer expects a transfer model with base mobilenet_v2, got ${got}`);
  }
  checkConfig(config);
  const { base: baseConfig, head } = config;

  const base = buildMobileNetV2Base({ alpha: baseConfig.alpha, inputSize: baseConfig.input_size, seed: options.seed });
  const weightsFile = await findWeights(config, options);
  if (weightsFile !== undefined) {
    const loaded = loadWeightsByName(base, await readWeights(weightsFile), weightsFile.path);
    options.onLog?.(`loaded ${loaded.toLocaleString('en-US')} MobileNetV2 weight values from ${weightsFile.path}`);
  }
  base.trainable = false;

  // The base expects pixels in [-1, 1] because keras.applications.mobilenet_v2.preprocess_input
  // maps [0, 255] by x / 127.5 - 1. CIFAR-10 pixels arrive in [0, 1], so the same mapping
  // is x * 2 - 1. Passing [0, 1] pixels through preprocess_input instead, an easy mistake,
  // squeezes them into [-1, -0.992], which the pretrained features were never trained on.
  const headSeed = options.seed + 1000;
  const input = tf.input({ shape: cifarShape, name: 'image' });
  let x = new ResizeBilinear({ height: baseConfig.input_size, width: baseConfig.input_size, name: 'resize' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.rescaling({ scale: 2, offset: -1, name: 'rescale' }).apply(x) as tf.SymbolicTensor;
  x = base.apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'global_average_pooling2d' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: head.dense_units, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: headSeed }), name: 'head_dense' }).apply(x) as tf.SymbolicTensor;
  x = seededDropout({ rate: head.dropout, seed: headSeed + 1, name: 'head_dropout' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: tf.initializers.glorotUniform({ seed: headSeed + 2 }), name: 'predictions' }).apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: `transfer_${base.name}` });

  return {
    model,
    base,
    unfreezeLastLayers(count: number): void {
      unfreezeLastLayers(base, count);
    },
  };
}

/**
 * Makes the last `count` layers of `base` trainable and all its other layers
 * frozen, counting every layer including the input layer, as Keras'
 * `base.layers[-count:]`. `count` 0 freezes the whole base. The base itself has
 * to be trainable for any of its layers to train in TensorFlow.js, and the
 * caller must compile the model again for the change to take effect.
 */
export function unfreezeLastLayers(base: tf.LayersModel, count: number): void {
  if (!Number.isInteger(count) || count < 0) {
    throw new InputError(`the number of base layers to unfreeze must be a non-negative integer, got ${count}`);
  }
  if (count === 0) {
    base.trainable = false;
    return;
  }

  base.trainable = true;
  const firstUnfrozen = Math.max(0, base.layers.length - count);
  base.layers.forEach((layer, index) => {
    layer.trainable = index >= firstUnfrozen;
  });
}

function checkConfig(config: TransferModelConfig): void {
  const { alpha, input_size: inputSize } = config.base;
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new InputError(`model.base.alpha must be a positive number, got ${alpha}`);
  }
  if (!Number.isInteger(inputSize) || inputSize < minInputSize) {
    throw new InputError(`model.base.input_size must be an integer of at least ${minInputSize}, got ${inputSize}`);
  }
  if (!Number.isInteger(config.head.dense_units) || config.head.dense_units < 1) {
    throw new InputError(`model.head.dense_units must be a positive integer, got ${config.head.dense_units}`);
  }
  if (!(config.head.dropout >= 0 && config.head.dropout < 1)) {
    throw new InputError(`model.head.dropout must be at least 0 and below 1, got ${config.head.dropout}`);
  }
}

async function findWeights(config: TransferModelConfig, options: BuildOptions): Promise<WeightsFile | undefined> {
  const { weights, alpha, input_size: inputSize } = config.base;
  if (weights === 'none') {
    return undefined;
  }
  if (weights === 'imagenet') {
    return resolveImagenetWeights({ alpha, inputSize, weightsDir: options.weightsDir, cacheDir: options.cacheDir, onLog: options.onLog });
  }
  return resolveWeightsPath(weights);
}

registerModel('transfer:mobilenet_v2', buildMobileNetV2Transfer);
