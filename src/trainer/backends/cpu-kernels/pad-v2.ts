import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  const paddings = attrs.paddings as Array<[number, number]> | undefined;
  const constantValue = Number(attrs.constantValue ?? 0);
  if (x === undefined || paddings === undefined || paddings.length !== x.shape.length || x.shape.length === 0) {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }
  const rank = x.shape.length;
  const outShape = x.shape.map((dim, axis) => paddings[axis][0] + dim + paddings[axis][1]);
  const out = new Float32Array(outShape.reduce((product, dim) => product * dim, 1));
  if (constantValue !== 0) {
    out.fill(constantValue);
  }
  if (values.length === 0) {
    return backend.makeTensorInfo(outShape, 'float32', out);
  }

  // Copies each innermost row of x to its place in the output, walking the outer
  // coordinates of x like an odometer.
  const outStrides = new Array<number>(rank);
  outStrides[rank - 1] = 1;
  for (let axis = rank - 2; axis >= 0; axis--) {
    outStrides[axis] = outStrides[axis + 1] * outShape[axis + 1];
  }
  const rowLength = x.shape[rank - 1];
  const coords = new Array<number>(rank).fill(0);
  let outOffset = 0;
  for (let axis = 0; axis < rank; axis++) {
    outOffset += paddings[axis][0] * outStrides[axis];
  }
  for (let source = 0; source < values.length; source += rowLength) {
    out.set(values.subarray(source, source + rowLength), outOffset);
    for (let axis = rank - 2; axis >= 0; axis--) {
      coords[axis]++;
      outOffset += outStrides[axis];
      if (coords[axis] < x.shape[axis]) {
        break;
      }
      outOffset -= coords[axis] * outStrides[axis];
      coords[axis] = 0;
    }
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

/** PadV2 (constant padding; ZeroPadding2D) for float32 tensors of any rank. */
export const padV2Kernel: FastKernel = { kernelName: 'PadV2', run };
