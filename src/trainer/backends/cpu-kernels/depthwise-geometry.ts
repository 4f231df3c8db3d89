import { backend_util } from '@tensorflow/tfjs';
import { type ConvGeometry, toGeometry } from './conv-geometry.ts';

/** The geometry of a depthwise convolution plus its channel multiplier. */
export interface DepthwiseGeometry extends ConvGeometry {
  /** Output channels per input channel; the filter is [fh, fw, inChannels, multiplier]. */
  multiplier: number;
}

/** Computes the NHWC geometry of a depthwise convolution with tfjs' rules for padding and output size. */
export function depthwiseGeometry(
  inputShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
): DepthwiseGeometry {
  const info = backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations ?? 1) as [number, number] | number,
    attrs.pad as 'same' | 'valid' | number | backend_util.ExplicitPadding,
    attrs.dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined,
    true,
    'channelsLast',
  );
  return { ...toGeometry(info), multiplier: filterShape[3] };
}
