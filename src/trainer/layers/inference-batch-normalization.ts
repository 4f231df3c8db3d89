import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface InferenceBatchNormalizationArgs extends LayerArgs {
  /** Only the last axis (channels last) is supported. Default -1. */
  axis?: number;
  /** Momentum of the moving statistics, kept in the config for Keras compatibility but unused because they never change. Default 0.99. */
  momentum?: number;
  /** Added to the variance before the square root. Default 1e-3, as in Keras. */
  epsilon?: number;
}

/**
 * Batch normalization that always normalizes with its moving statistics, in
 * training as in inference, and never updates them. It has Keras'
 * BatchNormalization weights in Keras' order (`gamma`, `beta`, `moving_mean`,
 * `moving_variance`), so pretrained weights load into it by name.
 *
 * Keras runs the BatchNormalization layers of a base model called with
 * `training=False` this way, which is what fine-tuning a pretrained base needs:
 * gamma and beta train when the layer is unfrozen, the statistics stay the
 * pretrained ones. TensorFlow.js 4.22's own BatchNormalization uses batch
 * statistics during `fit` and updates its moving statistics even when the layer
 * is not trainable, so it cannot be used for this.
 *
 * The class name differs from `BatchNormalization` so that a saved model
 * reloads with this behaviour instead of the stock one.
 */
export class InferenceBatchNormalization extends tf.layers.Layer {
  static readonly className = 'InferenceBatchNormalization';

  private readonly axis: number;
  private readonly momentum: number;
  private readonly epsilon: number;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean?: tf.LayerVariable;
  private movingVariance?: tf.LayerVariable;

  constructor(args: InferenceBatchNormalizationArgs = {}) {
    super(args);
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    if (this.axis !== -1) {
      throw new Error(`InferenceBatchNormalization supports only axis -1 (channels last), got axis ${this.axis}`);
    }
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) {
      throw new Error(`InferenceBatchNormalization "${this.name}" needs a known channel count, got input shape ${JSON.stringify(shape)}`);
    }

    this.gamma = this.addWeight('gamma', [channels], 'float32', tf.initializers.ones(), undefined, true);
    this.beta = this.addWeight('beta', [channels], 'float32', tf.initializers.zeros(), undefined, true);
    this.movingMean = this.addWeight('moving_mean', [channels], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (this.gamma === undefined || this.beta === undefined || this.movingMean === undefined || this.movingVariance === undefined) {
        throw new Error(`InferenceBatchNormalization "${this.name}" was called before it was built`);
      }
      return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), this.beta.read(), this.gamma.read(), this.epsilon);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), axis: this.axis, momentum: this.momentum, epsilon: this.epsilon };
  }
}

tf.serialization.registerClass(InferenceBatchNormalization);
