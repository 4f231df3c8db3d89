import { runBatchMatMul } from './batch-mat-mul.ts';
import type { FastKernel } from './fast-kernel.ts';

/** _FusedMatMul (matMul, bias, activation; what tf.layers.dense runs) for float32; PReLU goes to the stock kernel. */
export const fusedMatMulKernel: FastKernel = {
  kernelName: '_FusedMatMul',
  run: (args) => runBatchMatMul(args, true),
};
