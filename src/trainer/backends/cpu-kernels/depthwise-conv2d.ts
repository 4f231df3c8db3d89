import type { TensorInfo } from '@tensorflow/tfjs';
import { type DepthwiseGeometry, depthwiseGeometry } from './depthwise-geometry.ts';
import { applyEpilogue, readEpilogue } from './epilogue.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast } from './fast-kernel.ts';

/**
 * Computes an NHWC depthwise convolution into `out`. Each output pixel's sums are kept in a
 * float64 row and rounded to float32 once.
 */
export function depthwiseConv2dInto(x: Float32Array, filter: Float32Array, g: DepthwiseGeometry, out: Float32Array): void {
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, multiplier } = g;
  const sums = new Float64Array(outChannels);
  const xRowFloats = inWidth * inChannels;
  let o = 0;

  for (let b = 0; b < g.batch; b++) {
    const xImage = b * inHeight * xRowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * g.strideHeight - g.padTop;
      for (let ox = 0; ox < outWidth; ox++, o += outChannels) {
        const ix0 = ox * g.strideWidth - g.padLeft;
        sums.fill(0);
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = iy0 + fy * g.dilationHeight;
          if (iy < 0 || iy >= inHeight) {
            continue;
          }
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ix0 + fx * g.dilationWidth;
            if (ix < 0 || ix >= inWidth) {
              continue;
            }
            const xBase = xImage + iy * xRowFloats + ix * inChannels;
            const fBase = (fy * filterWidth + fx) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                sums[c] += x[xBase + c] * filter[fBase + c];
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xv = x[xBase + c];
                const k = c * multiplier;
                for (let q = 0; q < multiplier; q++) {
                  sums[k + q] += xv * filter[fBase + k + q];
                }
              }
            }
          }
        }
        for (let c = 0; c < outChannels; c++) {
          out[o + c] = sums[c];
        }
      }
    }
  }
}

/** Runs DepthwiseConv2dNative, or FusedDepthwiseConv2D when `fused`; null where the stock kernel must run. */
export function runDepthwiseConv2d(args: KernelArgs, fused: boolean): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x, filter, bias } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (x === undefined || filter === undefined || !isChannelsLast(attrs.dataFormat) || x.shape.length !== 4) {
    return null;
  }
  const xValues = float32Values(backend, x);
  const filterValues = float32Values(backend, filter);
  if (xValues === null || filterValues === null) {
    return null;
  }
  const g = depthwiseGeometry(x.shape, filter.shape, attrs);
  const epilogue = fused ? readEpilogue(backend, bias, attrs.activation, attrs.leakyreluAlpha, g.outChannels) : null;
  if (fused && epilogue === null) {
    return null;
  }

  const out = new Float32Array(g.batch * g.outHeight * g.outWidth * g.outChannels);
  depthwiseConv2dInto(xValues, filterValues, g, out);
  if (epilogue !== null) {
    applyEpilogue(out, g.outChannels, epilogue);
  }
  return backend.makeTensorInfo([g.batch, g.outHeight, g.outWidth, g.outChannels], 'float32', out);
}

/** DepthwiseConv2dNative for NHWC float32 inputs, any strides, padding, dilations and multiplier. */
export const depthwiseConv2dKernel: FastKernel = {
  kernelName: 'DepthwiseConv2dNative',
  run: (args) => runDepthwiseConv2d(args, false),
};
