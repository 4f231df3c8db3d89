import { backend_util } from '@tensorflow/tfjs';

/**
 * Computes the window geometry of a 2-D pooling kernel from its NHWC input shape
 * and the kernel attributes, as the stock MaxPool and MaxPoolGrad kernels do.
 */
export function poolInfo(shape: readonly number[], attrs: Record<string, unknown>): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize as [number, number] | number,
    attrs.strides as [number, number] | number,
    1,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
  );
}
