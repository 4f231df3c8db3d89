import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const min = attrs.clipValueMin;
  const max = attrs.clipValueMax;
  if (x === undefined || typeof min !== 'number' || typeof max !== 'number') {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = v > max ? max : v < min ? min : v;
  }
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

/** ClipByValue (also ReLU with a maxValue, as MobileNetV2's ReLU6 layers) for float32 tensors. */
export const clipByValueKernel: FastKernel = { kernelName: 'ClipByValue', run };
