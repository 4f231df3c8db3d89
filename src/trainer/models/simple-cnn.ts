import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../../spec/trial-config.ts';
import type { BuildOptions, BuiltModel } from './model-builder.ts';
import { registerModel } from './registry.ts';
import { seededDropout } from './seeded-dropout.ts';

/** CIFAR-10 image shape: height, width, channels. */
const inputShape = [32, 32, 3];

/**
 * Builds the reference CNN trained from scratch: Conv2D(32, 3×3, same) + ReLU +
 * MaxPool, Conv2D(64, 3×3, same) + ReLU + MaxPool, Flatten, Dense(512, ReLU),
 * Dropout, Dense(classes, softmax). With 10 classes it has 2,122,186 parameters.
 * Every kernel initializer gets its own seed derived from `options.seed`, so the
 * initial weights repeat for a seed.
 */
export async function buildSimpleCnn(config: ModelConfig, options: BuildOptions): Promise<BuiltModel> {
  if (config.type !== 'simple-cnn') {
    throw new Error(`buildSimpleCnn expects a simple-cnn model config, got type "${config.type}"`);
  }
  let nextSeed = options.seed;
  const kernelInitializer = (): ReturnType<typeof tf.initializers.glorotUniform> => tf.initializers.glorotUniform({ seed: nextSeed++ });

  const model = tf.sequential({ name: 'simple_cnn' });
  model.add(tf.layers.conv2d({ inputShape, filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInitializer(), name: 'conv2d_1' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }));
  model.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: kernelInitializer(), name: 'conv2d_2' }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_2' }));
  model.add(tf.layers.flatten({ name: 'flatten' }));
  model.add(tf.layers.dense({ units: 512, activation: 'relu', kernelInitializer: kernelInitializer(), name: 'dense_1' }));
  model.add(seededDropout({ rate: config.dropout, seed: nextSeed++, name: 'dropout' }));
  model.add(tf.layers.dense({ units: options.classes, activation: 'softmax', kernelInitializer: kernelInitializer(), name: 'dense_2' }));

  return {
    model,
    unfreezeLastLayers(count: number): void {
      throw new Error(`the simple CNN has no pretrained base, so unfreezeLastLayers(${count}) does not apply; fine-tuning is only for transfer models`);
    },
  };
}

registerModel('simple-cnn', buildSimpleCnn);
