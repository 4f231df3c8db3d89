import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, float32Values } from './fast-kernel.ts';

/** Activations that the fused kernels apply in place, with the stock cpu formulas. */
const IN_PLACE_ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']);

/** A bias and activation to apply to a result whose last dimension is `channels`. */
export interface Epilogue {
  /** Per-channel bias (length `channels`) or a scalar bias (length 1); null when absent. */
  bias: Float32Array | null;
  activation: string;
  leakyreluAlpha: number;
}

/**
 * Reads the bias and activation of a fused kernel (FusedConv2D, FusedDepthwiseConv2D,
 * _FusedMatMul). Returns null for what is applied only by the stock kernel: PReLU, and a
 * bias that is neither per-channel nor scalar.
 */
export function readEpilogue(
  backend: CpuBackend,
  bias: TensorInfo | undefined,
  activation: unknown,
  leakyreluAlpha: unknown,
  channels: number,
): Epilogue | null {
  const name = activation === undefined || activation === null ? 'linear' : String(activation);
  if (!IN_PLACE_ACTIVATIONS.has(name)) {
    return null;
  }
  if (name === 'leakyrelu' && typeof leakyreluAlpha !== 'number') {
    return null;
  }

  let biasValues: Float32Array | null = null;
  if (bias !== undefined) {
    const size = bias.shape.reduce((product, dim) => product * dim, 1);
    const perChannel = size === channels && bias.shape[bias.shape.length - 1] === channels;
    if (!perChannel && size !== 1) {
      return null;
    }
    biasValues = float32Values(backend, bias);
    if (biasValues === null) {
      return null;
    }
  }
  return { bias: biasValues, activation: name, leakyreluAlpha: typeof leakyreluAlpha === 'number' ? leakyreluAlpha : 0 };
}

/** Adds the bias and applies the activation to `out` in place, `channels` values per pixel. */
export function applyEpilogue(out: Float32Array, channels: number, epilogue: Epilogue): void {
  const { bias, activation } = epilogue;
  if (bias !== null) {
    if (bias.length === 1) {
      const value = bias[0];
      for (let i = 0; i < out.length; i++) {
        out[i] += value;
      }
    } else {
      for (let base = 0; base < out.length; base += channels) {
        for (let c = 0; c < channels; c++) {
          out[base + c] += bias[c];
        }
      }
    }
  }

  switch (activation) {
    case 'relu':
      for (let i = 0; i < out.length; i++) {
        out[i] = Math.max(0, out[i]);
      }
      break;
    case 'relu6':
      for (let i = 0; i < out.length; i++) {
        out[i] = Math.min(Math.max(0, out[i]), 6);
      }
      break;
    case 'elu':
      for (let i = 0; i < out.length; i++) {
        const v = out[i];
        out[i] = v >= 0 ? v : Math.exp(v) - 1;
      }
      break;
    case 'sigmoid':
      for (let i = 0; i < out.length; i++) {
        out[i] = 1 / (1 + Math.exp(-out[i]));
      }
      break;
    case 'leakyrelu': {
      const alpha = epilogue.leakyreluAlpha;
      for (let i = 0; i < out.length; i++) {
        const v = out[i];
        out[i] = v < 0 ? alpha * v : v;
      }
      break;
    }
    default:
      break;
  }
}
