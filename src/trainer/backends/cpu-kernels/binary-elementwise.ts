import { backend_util, type TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

type Operator = 'add' | 'sub' | 'mul' | 'div';

function sizeOf(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** Returns whether `shape`, without leading 1s, equals the trailing dimensions of `outShape`. */
function isTrailing(shape: number[], outShape: number[]): boolean {
  let first = 0;
  while (first < shape.length && shape[first] === 1) {
    first++;
  }
  const core = shape.slice(first);
  const tail = outShape.slice(outShape.length - core.length);
  return core.length <= outShape.length && core.every((dim, i) => dim === tail[i]);
}

// One loop per operator keeps each loop monomorphic, so V8 compiles it to plain arithmetic.
// `b` repeats every `bSize` elements of `a` (bSize === a.length when the shapes are equal).
function combine(op: Operator, a: Float32Array, b: Float32Array, bSize: number, swapped: boolean, out: Float32Array): void {
  const n = out.length;
  for (let base = 0; base < n; base += bSize) {
    switch (op) {
      case 'add':
        for (let j = 0; j < bSize; j++) out[base + j] = a[base + j] + b[j];
        break;
      case 'mul':
        for (let j = 0; j < bSize; j++) out[base + j] = a[base + j] * b[j];
        break;
      case 'sub':
        if (swapped) {
          for (let j = 0; j < bSize; j++) out[base + j] = b[j] - a[base + j];
        } else {
          for (let j = 0; j < bSize; j++) out[base + j] = a[base + j] - b[j];
        }
        break;
      case 'div':
        if (swapped) {
          for (let j = 0; j < bSize; j++) out[base + j] = b[j] / a[base + j];
        } else {
          for (let j = 0; j < bSize; j++) out[base + j] = a[base + j] / b[j];
        }
        break;
    }
  }
}

/**
 * Computes any broadcast: walks the output one innermost row at a time and advances each
 * operand's offset by its strides, which are 0 along the axes where it has size 1.
 */
function combineBroadcast(
  op: Operator, a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], outShape: number[], out: Float32Array,
): void {
  const rank = outShape.length;
  const stridesFor = (shape: number[]): number[] => {
    const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
    const strides = new Array<number>(rank).fill(0);
    let stride = 1;
    for (let axis = rank - 1; axis >= 0; axis--) {
      strides[axis] = padded[axis] === 1 ? 0 : stride;
      stride *= padded[axis];
    }
    return strides;
  };
  const aStrides = stridesFor(aShape);
  const bStrides = stridesFor(bShape);
  const rowLength = outShape[rank - 1];
  const aStep = aStrides[rank - 1];
  const bStep = bStrides[rank - 1];
  const coords = new Array<number>(rank).fill(0);
  let aOffset = 0;
  let bOffset = 0;
  for (let o = 0; o < out.length; o += rowLength) {
    for (let j = 0; j < rowLength; j++) {
      const x = a[aOffset + j * aStep];
      const y = b[bOffset + j * bStep];
      switch (op) {
        case 'add':
          out[o + j] = x + y;
          break;
        case 'sub':
          out[o + j] = x - y;
          break;
        case 'mul':
          out[o + j] = x * y;
          break;
        case 'div':
          out[o + j] = x / y;
          break;
      }
    }
    for (let axis = rank - 2; axis >= 0; axis--) {
      coords[axis]++;
      aOffset += aStrides[axis];
      bOffset += bStrides[axis];
      if (coords[axis] < outShape[axis]) {
        break;
      }
      aOffset -= coords[axis] * aStrides[axis];
      bOffset -= coords[axis] * bStrides[axis];
      coords[axis] = 0;
    }
  }
}

function runBinary(op: Operator, args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { a, b } = args.inputs;
  if (a === undefined || b === undefined) {
    return null;
  }
  const aValues = float32Values(backend, a);
  const bValues = float32Values(backend, b);
  if (aValues === null || bValues === null) {
    return null;
  }
  let outShape: number[];
  try {
    outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  } catch {
    return null;
  }
  const outSize = sizeOf(outShape);
  const out = new Float32Array(outSize);
  if (outSize === 0) {
    return backend.makeTensorInfo(outShape, 'float32', out);
  }

  // Equal sizes take the tight loops, and so does an operand that repeats along the
  // trailing dimensions of the other (a scalar, a per-channel bias). Other broadcasts
  // take the general walk.
  if (aValues.length === outSize && (bValues.length === outSize || isTrailing(b.shape, outShape))) {
    combine(op, aValues, bValues, bValues.length, false, out);
  } else if (bValues.length === outSize && isTrailing(a.shape, outShape)) {
    if (op === 'add' || op === 'mul') {
      combine(op, bValues, aValues, aValues.length, false, out);
    } else {
      combine(op, bValues, aValues, aValues.length, true, out);
    }
  } else {
    combineBroadcast(op, aValues, a.shape, bValues, b.shape, outShape, out);
  }
  return backend.makeTensorInfo(outShape, 'float32', out);
}

function binaryKernel(kernelName: string, op: Operator): FastKernel {
  return { kernelName, run: (args) => runBinary(op, args) };
}

/** Add, Sub, Multiply and RealDiv for float32 tensors, with broadcasting. */
export const addKernel = binaryKernel('Add', 'add');
export const subKernel = binaryKernel('Sub', 'sub');
export const multiplyKernel = binaryKernel('Multiply', 'mul');
export const realDivKernel = binaryKernel('RealDiv', 'div');
