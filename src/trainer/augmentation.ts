import * as tf from '@tensorflow/tfjs';
import type { AugmentationConfig } from '../spec/trial-config.ts';
import type { Random } from './random.ts';

/** True when the config changes images at all. */
export function isAugmenting(config: AugmentationConfig | undefined): config is AugmentationConfig {
  return config !== undefined && (config.horizontal_flip || config.translation > 0 || config.zoom > 0 || config.rotation > 0);
}

/**
 * Returns one projective transform row per image (the 8 numbers of
 * `tf.image.transform`, mapping output pixels to input pixels) combining a random
 * horizontal flip, rotation and zoom about the image centre and a translation.
 * Ranges follow Keras' RandomFlip, RandomTranslation, RandomZoom and
 * RandomRotation: shift up to ±translation × size per axis, scale by
 * 1 ± zoom (above 1 zooms out), rotate by up to ±rotation × 2π. Draws exactly
 * five numbers per image from `random`, whatever the config, so the stream of
 * draws does not depend on which augmentations are on.
 */
export function augmentationTransforms(count: number, height: number, width: number, config: AugmentationConfig, random: Random): Float32Array {
  const transforms = new Float32Array(count * 8);
  const centerX = (width - 1) / 2;
  const centerY = (height - 1) / 2;
  for (let i = 0; i < count; i++) {
    const flipDraw = random();
    const shiftXDraw = random();
    const shiftYDraw = random();
    const zoomDraw = random();
    const angleDraw = random();

    const flip = config.horizontal_flip && flipDraw < 0.5 ? -1 : 1;
    const shiftX = (2 * shiftXDraw - 1) * config.translation * width;
    const shiftY = (2 * shiftYDraw - 1) * config.translation * height;
    const zoom = 1 + (2 * zoomDraw - 1) * config.zoom;
    const angle = (2 * angleDraw - 1) * config.rotation * 2 * Math.PI;

    // input = zoom · R(angle) · diag(flip, 1) · (output − centre) + centre − shift
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    const a0 = zoom * cos * flip;
    const a1 = -zoom * sin;
    const b0 = zoom * sin * flip;
    const b1 = zoom * cos;
    const row = transforms.subarray(i * 8, i * 8 + 8);
    row[0] = a0;
    row[1] = a1;
    row[2] = centerX - shiftX - a0 * centerX - a1 * centerY;
    row[3] = b0;
    row[4] = b1;
    row[5] = centerY - shiftY - b0 * centerX - b1 * centerY;
    row[6] = 0;
    row[7] = 0;
  }
  return transforms;
}

/**
 * Applies random augmentation to a batch `[N, H, W, C]` with bilinear
 * interpolation, filling uncovered pixels by reflection (Keras' default fill
 * mode). Returns a new tensor; the input is left alone. The draws come from
 * `random`, so a seeded generator gives the same batch every time.
 */
export function augmentBatch(images: tf.Tensor4D, config: AugmentationConfig, random: Random): tf.Tensor4D {
  const [count, height, width] = images.shape;
  const transforms = augmentationTransforms(count, height, width, config, random);
  return tf.tidy(() => tf.image.transform(images, tf.tensor2d(transforms, [count, 8]), 'bilinear', 'reflect'));
}
