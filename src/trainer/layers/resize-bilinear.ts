import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

export interface ResizeBilinearArgs extends LayerArgs {
  height: number;
  width: number;
}

/**
 * Resizes a batch of NHWC images bilinearly with half-pixel centers, as Keras'
 * `Resizing` layer and TF2's `tf.image.resize` do. TensorFlow.js 4.22's own
 * `tf.layers.resizing` cannot replace it: it drops the batch dimension from its
 * output shape and samples with aligned corners.
 */
export class ResizeBilinear extends tf.layers.Layer {
  static readonly className = 'ResizeBilinear';

  private readonly height: number;
  private readonly width: number;

  constructor(args: ResizeBilinearArgs) {
    super(args);
    if (!Number.isInteger(args.height) || args.height < 1 || !Number.isInteger(args.width) || args.width < 1) {
      throw new Error(`ResizeBilinear needs a positive integer height and width, got ${args.height}×${args.width}`);
    }
    this.height = args.height;
    this.width = args.width;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [shape[0], this.height, this.width, shape[3]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.image.resizeBilinear(x, [this.height, this.width], false, true);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}

tf.serialization.registerClass(ResizeBilinear);
