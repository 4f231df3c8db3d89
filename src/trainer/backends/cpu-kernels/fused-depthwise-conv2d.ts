import { runDepthwiseConv2d } from './depthwise-conv2d.ts';
import type { FastKernel } from './fast-kernel.ts';

/** FusedDepthwiseConv2D (depthwise convolution, bias, activation) for NHWC float32; PReLU goes to the stock kernel. */
export const fusedDepthwiseConv2dKernel: FastKernel = {
  kernelName: 'FusedDepthwiseConv2D',
  run: (args) => runDepthwiseConv2d(args, true),
};
