import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../random.ts';

export interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Dropout whose masks repeat for a seed but differ from batch to batch.
 * TensorFlow.js 4.22's own Dropout layer passes its fixed `seed` to every call, so a
 * seeded Dropout drops the same units in every batch. Without a seed, its masks
 * come from Math.random and a trial cannot be repeated. This layer derives each
 * call's seed from its own seed, an epoch stream set by the trainer, and a call
 * counter. Inference (`training` not true) passes inputs through unchanged.
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';

  readonly rate: number;
  readonly seed: number;
  private stream = 0;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`dropout rate must be at least 0 and below 1, got ${args.rate}`);
    }
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  /** Restarts the mask sequence at a stream (the trainer passes one per phase and epoch). */
  resetStream(stream: number): void {
    this.stream = stream >>> 0;
    this.calls = 0;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const input = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || this.rate === 0) {
      return input;
    }
    const seed = deriveSeed(this.seed, this.stream, this.calls++);
    return tf.tidy(() => tf.dropout(input, this.rate, undefined, seed));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);

/** Creates a SeededDropout layer (the counterpart of `tf.layers.dropout`). */
export function seededDropout(args: SeededDropoutArgs): SeededDropout {
  return new SeededDropout(args);
}

/** Restarts the mask sequence of every SeededDropout layer in a model, nested models included. */
export function resetDropoutStreams(model: tf.LayersModel, stream: number): void {
  const visit = (layers: tf.layers.Layer[]): void => {
    for (const layer of layers) {
      if (layer instanceof SeededDropout) {
        layer.resetStream(stream);
      } else if (layer instanceof tf.LayersModel) {
        visit(layer.layers);
      }
    }
  };
  visit(model.layers);
}
