import type { TensorInfo } from '@tensorflow/tfjs';
import { type DepthwiseGeometry, depthwiseGeometry } from './depthwise-geometry.ts';
import { applyEpilogue, readEpilogue } from './epilogue.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast } from './fast-kernel.ts';

/**
 * Computes an NHWC depthwise convolution into `out`. Sums are kept as JS numbers (float64)
 * over the filter taps and rounded to float32 once.
 */
export function depthwiseConv2dInto(x: Float32Array, filter: Float32Array, g: DepthwiseGeometry, out: Float32Array): void {
  if (g.multiplier === 1) {
    depthwiseSingle(x, filter, g, out);
  } else {
    depthwiseMultiplier(x, filter, g, out);
  }
}

// Multiplier 1: for each output pixel, 4 channels at a time, the sums stay in local
// variables over all taps, so each multiply-add costs two loads.
function depthwiseSingle(x: Float32Array, filter: Float32Array, g: DepthwiseGeometry, out: Float32Array): void {
  const { inHeight, inWidth, outHeight, outWidth, filterHeight, filterWidth } = g;
  const channels = g.inChannels;
  const blocked = channels - (channels % 4);
  const xRowFloats = inWidth * channels;
  const filterRowFloats = filterWidth * channels;
  let o = 0;

  for (let b = 0; b < g.batch; b++) {
    const xImage = b * inHeight * xRowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * g.strideHeight - g.padTop;
      // Filter rows whose input row lies inside the image.
      let fyStart = 0;
      while (fyStart < filterHeight && iy0 + fyStart * g.dilationHeight < 0) fyStart++;
      let fyEnd = filterHeight;
      while (fyEnd > fyStart && iy0 + (fyEnd - 1) * g.dilationHeight >= inHeight) fyEnd--;

      for (let ox = 0; ox < outWidth; ox++, o += channels) {
        const ix0 = ox * g.strideWidth - g.padLeft;
        let fxStart = 0;
        while (fxStart < filterWidth && ix0 + fxStart * g.dilationWidth < 0) fxStart++;
        let fxEnd = filterWidth;
        while (fxEnd > fxStart && ix0 + (fxEnd - 1) * g.dilationWidth >= inWidth) fxEnd--;

        for (let c = 0; c < blocked; c += 4) {
          let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          for (let fy = fyStart; fy < fyEnd; fy++) {
            const xRow = xImage + (iy0 + fy * g.dilationHeight) * xRowFloats + c;
            const fRow = fy * filterRowFloats + c;
            for (let fx = fxStart; fx < fxEnd; fx++) {
              const xi = xRow + (ix0 + fx * g.dilationWidth) * channels;
              const fi = fRow + fx * channels;
              s0 += x[xi] * filter[fi];
              s1 += x[xi + 1] * filter[fi + 1];
              s2 += x[xi + 2] * filter[fi + 2];
              s3 += x[xi + 3] * filter[fi + 3];
            }
          }
          out[o + c] = s0;
          out[o + c + 1] = s1;
          out[o + c + 2] = s2;
          out[o + c + 3] = s3;
        }
        for (let c = blocked; c < channels; c++) {
          let sum = 0;
          for (let fy = fyStart; fy < fyEnd; fy++) {
            const xRow = xImage + (iy0 + fy * g.dilationHeight) * xRowFloats + c;
            const fRow = fy * filterRowFloats + c;
            for (let fx = fxStart; fx < fxEnd; fx++) {
              sum += x[xRow + (ix0 + fx * g.dilationWidth) * channels] * filter[fRow + fx * channels];
            }
          }
          out[o + c] = sum;
        }
      }
    }
  }
}

function depthwiseMultiplier(x: Float32Array, filter: Float32Array, g: DepthwiseGeometry, out: Float32Array): void {
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
            for (let c = 0; c < inChannels; c++) {
              const xv = x[xBase + c];
              const k = c * multiplier;
              for (let q = 0; q < multiplier; q++) {
                sums[k + q] += xv * filter[fBase + k + q];
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
