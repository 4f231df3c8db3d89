import { type TensorInfo, util } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

/**
 * Runs Sum, or Mean when `mean`, over a contiguous block of axes of a float32 tensor (a
 * bias gradient sums over every axis but the channels, global average pooling averages
 * over height and width); null for other axes and dtypes.
 */
export function runReduction(args: KernelArgs, mean: boolean): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined) {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }
  const axes = util.parseAxisParam(attrs.axis as number | number[], x.shape).sort((p, q) => p - q);
  if (axes.length === 0) {
    return null;
  }
  // Axes of size 1 do not change the order of the elements, so only the others must form
  // one contiguous block; the tensor is then an [outer, reduced, inner] array.
  const reduced = axes.filter((axis) => x.shape[axis] !== 1);
  const first = reduced.length === 0 ? x.shape.length : reduced[0];
  const last = reduced.length === 0 ? x.shape.length - 1 : reduced[reduced.length - 1];
  for (let axis = first; axis <= last; axis++) {
    if (x.shape[axis] !== 1 && !axes.includes(axis)) {
      return null;
    }
  }
  const product = (dims: number[]): number => dims.reduce((total, dim) => total * dim, 1);
  const outer = product(x.shape.slice(0, first));
  const reduceSize = product(reduced.map((axis) => x.shape[axis]));
  const inner = product(x.shape.slice(last + 1));

  // The stock Sum moves the reduced axes innermost (a transpose) and adds each run in
  // order into a float64 sum; the stock Mean first divides every element by the count and
  // rounds it to float32. The loop below adds in that same order.
  const divisor = mean ? reduceSize : 1;
  const sums = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    const sumBase = o * inner;
    for (let r = 0; r < reduceSize; r++) {
      const base = (o * reduceSize + r) * inner;
      if (mean) {
        for (let i = 0; i < inner; i++) sums[sumBase + i] += Math.fround(values[base + i] / divisor);
      } else {
        for (let i = 0; i < inner; i++) sums[sumBase + i] += values[base + i];
      }
    }
  }
  const out = Float32Array.from(sums);
  const keptShape = x.shape.filter((_, axis) => !axes.includes(axis));
  const shape = attrs.keepDims === true ? x.shape.map((dim, axis) => (axes.includes(axis) ? 1 : dim)) : keptShape;
  return backend.makeTensorInfo(shape, 'float32', out);
}

/** Sum of float32 tensors over a contiguous block of axes, without the stock kernel's transpose. */
export const sumKernel: FastKernel = { kernelName: 'Sum', run: (args) => runReduction(args, false) };
