import { runConv2d } from './conv2d.ts';
import type { FastKernel } from './fast-kernel.ts';

/** FusedConv2D (convolution, bias, activation) for NHWC float32 inputs; PReLU goes to the stock kernel. */
export const fusedConv2dKernel: FastKernel = {
  kernelName: 'FusedConv2D',
  run: (args) => runConv2d(args, true),
};
