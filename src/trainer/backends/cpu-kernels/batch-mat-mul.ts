import type { TensorInfo } from '@tensorflow/tfjs';
import { applyEpilogue, readEpilogue } from './epilogue.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';
import { matmul } from './gemm.ts';

/**
 * Runs BatchMatMul, or _FusedMatMul when `fused`; null where the stock kernel must run:
 * non-float32 inputs, rank below 2, and batch dimensions that are neither equal nor
 * broadcast from a single matrix.
 */
export function runBatchMatMul(args: KernelArgs, fused: boolean): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { a, b, bias } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (a === undefined || b === undefined || a.shape.length < 2 || b.shape.length < 2) {
    return null;
  }
  const aValues = float32Values(backend, a);
  const bValues = float32Values(backend, b);
  if (aValues === null || bValues === null) {
    return null;
  }
  const transposeA = attrs.transposeA === true;
  const transposeB = attrs.transposeB === true;
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const aRows = a.shape[aRank - 2];
  const aCols = a.shape[aRank - 1];
  const bRows = b.shape[bRank - 2];
  const bCols = b.shape[bRank - 1];
  const m = transposeA ? aCols : aRows;
  const k = transposeA ? aRows : aCols;
  const n = transposeB ? bRows : bCols;
  if ((transposeB ? bCols : bRows) !== k) {
    return null;
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = outerA.reduce((product, dim) => product * dim, 1);
  const batchB = outerB.reduce((product, dim) => product * dim, 1);
  let outer: number[];
  if (outerA.length === outerB.length && outerA.every((dim, i) => dim === outerB[i])) {
    outer = outerA;
  } else if (batchA === 1 && outerA.length <= outerB.length) {
    outer = outerB;
  } else if (batchB === 1 && outerB.length <= outerA.length) {
    outer = outerA;
  } else {
    return null;
  }
  const epilogue = fused ? readEpilogue(backend, bias, attrs.activation, attrs.leakyreluAlpha, n) : null;
  if (fused && epilogue === null) {
    return null;
  }

  const batch = Math.max(batchA, batchB);
  const out = new Float32Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    const aOffset = (batchA === 1 ? 0 : bi) * aRows * aCols;
    const bOffset = (batchB === 1 ? 0 : bi) * bRows * bCols;
    matmul(
      { data: aValues, offset: aOffset, rowStride: transposeA ? 1 : aCols, colStride: transposeA ? aCols : 1 },
      { data: bValues, offset: bOffset, rowStride: transposeB ? 1 : bCols, colStride: transposeB ? bCols : 1 },
      m, k, n, out, bi * m * n,
    );
  }
  if (epilogue !== null) {
    applyEpilogue(out, n, epilogue);
  }
  return backend.makeTensorInfo([...outer, m, n], 'float32', out);
}

/** BatchMatMul (tf.matMul) for float32 inputs, either operand transposed. */
export const batchMatMulKernel: FastKernel = {
  kernelName: 'BatchMatMul',
  run: (args) => runBatchMatMul(args, false),
};
