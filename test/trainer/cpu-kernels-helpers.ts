import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { fastCpuKernel, stockCpuKernel } from '../../src/trainer/backends/cpu-kernels/index.ts';

/** Returns a deterministic generator of floats in [-1, 1) (mulberry32). */
export function randomSource(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Returns a float32 tensor of the given shape filled from `next`. */
export function randomTensor(shape: number[], next: () => number): tf.Tensor {
  const size = shape.reduce((product, dim) => product * dim, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    values[i] = next();
  }
  return tf.tensor(values, shape, 'float32');
}

/** Runs one kernel function on the active backend and returns its output as a tensor. */
export function runKernel(
  kernelFunc: tf.KernelFunc,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
): tf.Tensor {
  const output = kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: tf.backend() });
  const info = Array.isArray(output) ? output[0] : output;
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Returns max |actual - expected| divided by max |expected| over finite elements (or by 1
 * where those are all zero): an error relative to the tensor's scale, so that near-zero
 * elements produced by cancellation do not dominate it. Equal elements (both NaN, or the
 * same infinity) count as no error; any other mismatch involving NaN or infinity counts
 * as an infinite one.
 */
export function relativeError(actual: tf.Tensor, expected: tf.Tensor): number {
  const a = actual.dataSync();
  const e = expected.dataSync();
  if (a.length !== e.length) {
    return Infinity;
  }
  let maxDiff = 0;
  let scale = 0;
  for (let i = 0; i < e.length; i++) {
    if (a[i] === e[i] || (Number.isNaN(a[i]) && Number.isNaN(e[i]))) {
      continue;
    }
    const diff = Math.abs(a[i] - e[i]);
    maxDiff = Number.isFinite(diff) ? Math.max(maxDiff, diff) : Infinity;
  }
  for (const value of e) {
    if (Number.isFinite(value)) {
      scale = Math.max(scale, Math.abs(value));
    }
  }
  return maxDiff / (scale === 0 ? 1 : scale);
}

/**
 * Runs the fast and the stock kernel `kernelName` on the same inputs and returns the
 * relative error of the fast output. With `covered` false the fast kernel must hand the
 * case to the stock kernel instead.
 */
export function compareWithStock(
  kernelName: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, unknown>,
  covered = true,
): number {
  const stock = stockCpuKernel(kernelName);
  const fast = fastCpuKernel(kernelName);
  assert.ok(stock !== undefined, `stock ${kernelName} is registered`);
  assert.ok(fast !== undefined, `fast ${kernelName} exists`);

  return tf.tidy(() => {
    const output = fast.run({ inputs, attrs: attrs as tf.NamedAttrMap, backend: tf.backend() });
    if (!covered) {
      assert.equal(output, null, `fast ${kernelName} hands the case to the stock kernel`);
      return 0;
    }
    assert.ok(output !== null, `fast ${kernelName} covers the case`);
    const actual = tf.engine().makeTensorFromTensorInfo(output);
    return relativeError(actual, runKernel(stock.kernelFunc, inputs, attrs));
  });
}
