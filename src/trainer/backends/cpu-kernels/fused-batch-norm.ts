import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';

const DEFAULT_EPSILON = 0.001;

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x, mean, variance, scale, offset } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined || mean === undefined || variance === undefined || x.shape.length === 0) {
    return null;
  }
  const xValues = float32Values(backend, x);
  const meanValues = float32Values(backend, mean);
  const varianceValues = float32Values(backend, variance);
  const scaleValues = scale === undefined ? new Float32Array([1]) : float32Values(backend, scale);
  const offsetValues = offset === undefined ? new Float32Array([0]) : float32Values(backend, offset);
  if (xValues === null || meanValues === null || varianceValues === null || scaleValues === null || offsetValues === null) {
    return null;
  }
  const channels = x.shape[x.shape.length - 1];
  const parameters = [meanValues, varianceValues, scaleValues, offsetValues];
  if (channels === 0 || parameters.some((p) => p.length !== 1 && p.length !== channels)) {
    return null;
  }
  const epsilon = typeof attrs.varianceEpsilon === 'number' ? attrs.varianceEpsilon : DEFAULT_EPSILON;

  // Per-channel parameters are expanded once, and scale / sqrt(variance + epsilon) is folded
  // into one factor. The stock kernel divides per element, so results can differ from it in
  // the last bit of the float32.
  const expand = (p: Float32Array): Float64Array => {
    const row = new Float64Array(channels);
    for (let c = 0; c < channels; c++) row[c] = p.length === 1 ? p[0] : p[c];
    return row;
  };
  const m = expand(meanValues);
  const s = expand(scaleValues);
  const o = expand(offsetValues);
  const factor = expand(varianceValues).map((v, c) => s[c] / Math.sqrt(v + epsilon));
  const out = new Float32Array(xValues.length);
  for (let base = 0; base < xValues.length; base += channels) {
    for (let c = 0; c < channels; c++) {
      out[base + c] = o[c] + (xValues[base + c] - m[c]) * factor[c];
    }
  }
  return backend.makeTensorInfo([...x.shape], 'float32', out);
}

/** FusedBatchNorm (tf.batchNorm) for float32 tensors with per-channel or scalar parameters. */
export const fusedBatchNormKernel: FastKernel = { kernelName: 'FusedBatchNorm', run };
