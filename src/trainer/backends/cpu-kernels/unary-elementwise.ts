import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

type Operator = 'relu' | 'relu6' | 'step' | 'sqrt';

function runUnary(op: Operator, args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  if (x === undefined) {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }
  const alpha = (args.attrs ?? {}).alpha as unknown;
  if (op === 'step' && typeof alpha !== 'number') {
    return null;
  }
  const out = new Float32Array(values.length);
  // The formulas, NaN handling included, are the stock cpu kernels' (tfjs 4.22).
  switch (op) {
    case 'relu':
      for (let i = 0; i < values.length; i++) out[i] = Math.max(0, values[i]);
      break;
    case 'relu6':
      for (let i = 0; i < values.length; i++) out[i] = Math.min(Math.max(0, values[i]), 6);
      break;
    case 'sqrt':
      for (let i = 0; i < values.length; i++) out[i] = Math.sqrt(values[i]);
      break;
    case 'step': {
      const negative = alpha as number;
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        out[i] = v > 0 ? 1 : Number.isNaN(v) ? NaN : negative;
      }
      break;
    }
  }
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

/** Relu, Relu6, Sqrt (Adam's update) and Step (the ReLU gradient's mask) for float32 tensors. */
export const reluKernel: FastKernel = { kernelName: 'Relu', run: (args) => runUnary('relu', args) };
export const relu6Kernel: FastKernel = { kernelName: 'Relu6', run: (args) => runUnary('relu6', args) };
export const stepKernel: FastKernel = { kernelName: 'Step', run: (args) => runUnary('step', args) };
export const sqrtKernel: FastKernel = { kernelName: 'Sqrt', run: (args) => runUnary('sqrt', args) };
