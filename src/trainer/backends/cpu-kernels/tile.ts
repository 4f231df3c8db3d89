import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x } = args.inputs;
  const reps = ((args.attrs ?? {}) as Record<string, unknown>).reps as number[] | undefined;
  if (x === undefined || reps === undefined || reps.length !== x.shape.length) {
    return null;
  }
  const values = float32Values(backend, x);
  if (values === null) {
    return null;
  }

  // Tiles one axis at a time, innermost first: viewed as [outer, block] with block the
  // size of the axis and everything inside it, each block is written `reps` times in a row.
  let current: Float32Array = values;
  const shape = [...x.shape];
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    const times = reps[axis];
    if (times === 1) {
      continue;
    }
    const block = shape.slice(axis).reduce((product, dim) => product * dim, 1);
    const outer = block === 0 ? 0 : current.length / block;
    const next = new Float32Array(current.length * times);
    for (let o = 0; o < outer; o++) {
      const source = current.subarray(o * block, (o + 1) * block);
      for (let t = 0; t < times; t++) {
        next.set(source, (o * times + t) * block);
      }
    }
    current = next;
    shape[axis] *= times;
  }
  const out = current === values ? values.slice() : current;
  return backend.makeTensorInfo(shape, 'float32', out);
}

/** Tile for float32 tensors of any rank. */
export const tileKernel: FastKernel = { kernelName: 'Tile', run };
