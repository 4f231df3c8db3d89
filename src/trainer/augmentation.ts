import * as tf from '@tensorflow/tfjs';
import type { AugmentationConfig } from '../spec/trial-config.ts';
import type { Random } from './random.ts';

/** True when the config changes images at all. */
export function isAugmenting(config: AugmentationConfig | undefined): config is AugmentationConfig {
  return config !== undefined && (config.horizontal_flip || config.translation > 0 || config.zoom > 0 || config.rotation > 0);
}

/**
 * Returns one projective transform row per image (the 8 numbers that
 * `tf.image.transform` takes, mapping output pixels to input pixels) combining a random
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
 * Applies random augmentation to a batch of NHWC float images and returns the
 * augmented copy. Sampling is bilinear, and pixels that come from outside the
 * image are filled by reflection about the edge pixels' outer border
 * ("d c b a | a b c d | d c b a"), Keras' default fill mode. The draws come from
 * `random`, so a seeded generator gives the same batch every time.
 *
 * This runs in JavaScript rather than through `tf.image.transform` because the
 * cpu backend's Transform kernel in TensorFlow.js 4.22 returns after the first
 * image of a batch and leaves the others zero.
 */
export function augmentImages(values: Float32Array, shape: readonly [number, number, number, number], config: AugmentationConfig, random: Random): Float32Array {
  const [count, height, width, channels] = shape;
  const transforms = augmentationTransforms(count, height, width, config, random);
  const out = new Float32Array(values.length);
  const imageSize = height * width * channels;

  for (let b = 0; b < count; b++) {
    const t = transforms.subarray(b * 8, b * 8 + 8);
    const image = b * imageSize;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const sourceX = reflectCoordinate(t[0] * x + t[1] * y + t[2], width);
        const sourceY = reflectCoordinate(t[3] * x + t[4] * y + t[5], height);
        const x0 = Math.floor(sourceX);
        const y0 = Math.floor(sourceY);
        const x1 = Math.min(x0 + 1, width - 1);
        const y1 = Math.min(y0 + 1, height - 1);
        const fx = sourceX - x0;
        const fy = sourceY - y0;
        const topLeft = image + (y0 * width + x0) * channels;
        const topRight = image + (y0 * width + x1) * channels;
        const bottomLeft = image + (y1 * width + x0) * channels;
        const bottomRight = image + (y1 * width + x1) * channels;
        const target = image + (y * width + x) * channels;
        for (let c = 0; c < channels; c++) {
          const top = values[topLeft + c] + (values[topRight + c] - values[topLeft + c]) * fx;
          const bottom = values[bottomLeft + c] + (values[bottomRight + c] - values[bottomLeft + c]) * fx;
          out[target + c] = top + (bottom - top) * fy;
        }
      }
    }
  }
  return out;
}

/** Applies `augmentImages` to a tensor and returns a new tensor; the input is left alone. */
export function augmentBatch(images: tf.Tensor4D, config: AugmentationConfig, random: Random): tf.Tensor4D {
  const augmented = augmentImages(images.dataSync() as Float32Array, images.shape, config, random);
  return tf.tensor4d(augmented, images.shape);
}

/**
 * Maps a continuous pixel coordinate into [0, size − 1] by reflecting it about
 * −0.5 and size − 0.5, the borders of the first and last pixel, as TensorFlow's
 * `reflect` fill mode does.
 */
function reflectCoordinate(coordinate: number, size: number): number {
  if (size <= 1) {
    return 0;
  }
  const period = 2 * size;
  let shifted = (coordinate + 0.5) % period;
  if (shifted < 0) {
    shifted += period;
  }
  if (shifted >= size) {
    shifted = period - shifted;
  }
  return Math.min(size - 1, Math.max(0, shifted - 0.5));
}
