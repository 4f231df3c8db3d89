import type { FastKernel } from './fast-kernel.ts';
import { runReduction } from './sum.ts';

/** Mean of float32 tensors over a contiguous block of axes (global average pooling), without a transpose. */
export const meanKernel: FastKernel = { kernelName: 'Mean', run: (args) => runReduction(args, true) };
