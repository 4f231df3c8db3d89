import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../spec/trial-config.ts';

/**
 * A classifier ready to train. Its input is a batch of CIFAR-10 images as float32
 * `[N, 32, 32, 3]` with pixels in [0, 1]; any resizing and model-specific
 * preprocessing happens inside the model. Its output is `[N, classes]` softmax.
 */
export interface BuiltModel {
  model: tf.LayersModel;
  /** The pretrained base inside `model`, for transfer models; absent for models trained from scratch. */
  base?: tf.LayersModel;
  /**
   * Makes the last `count` layers of the base trainable and every other base layer frozen,
   * counted over all base layers as Keras' `base.layers[-count:]` does. BatchNormalization
   * layers of the base keep running in inference mode either way. The caller compiles the
   * model again afterwards. Throws for models without a base.
   */
  unfreezeLastLayers(count: number): void;
}

export interface BuildOptions {
  classes: number;
  seed: number;
  /** Folder of the download cache for pretrained weights. */
  cacheDir: string;
  /** Where `weights: imagenet` looks first (`SWEEP_WEIGHTS_DIR`), before the cache and the download. */
  weightsDir?: string;
  onLog?: (message: string) => void;
}

/** Builds one kind of model from its config. Registered by `type` (and base name for transfer models). */
export type ModelBuilder = (config: ModelConfig, options: BuildOptions) => Promise<BuiltModel>;
