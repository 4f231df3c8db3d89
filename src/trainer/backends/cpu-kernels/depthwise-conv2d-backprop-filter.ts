import type { TensorInfo } from '@tensorflow/tfjs';
import { depthwiseGeometry } from './depthwise-geometry.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast, isUnitDilation } from './fast-kernel.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { x, dy } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  // The stock kernel ignores dilations in its loops (tfjs 4.22, whose depthwise gradient
  // rejects dilations above 1 anyway), so dilated calls stay with it to give the same result.
  if (x === undefined || dy === undefined || !isChannelsLast(attrs.dataFormat) || !isUnitDilation(attrs.dilations)) {
    return null;
  }
  const xValues = float32Values(backend, x);
  const dyValues = float32Values(backend, dy);
  if (xValues === null || dyValues === null || x.shape.length !== 4) {
    return null;
  }
  const filterShape = attrs.filterShape as [number, number, number, number];
  const g = depthwiseGeometry(x.shape, filterShape, attrs);
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, multiplier } = g;

  // dW[fy, fx, c, q] sums x[b, iy, ix, c] * dy[b, oy, ox, c * multiplier + q] over every
  // output pixel, accumulated in float64.
  const sums = new Float64Array(filterHeight * filterWidth * outChannels);
  const xRowFloats = inWidth * inChannels;
  let d = 0;
  for (let b = 0; b < g.batch; b++) {
    const xImage = b * inHeight * xRowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * g.strideHeight - g.padTop;
      for (let ox = 0; ox < outWidth; ox++, d += outChannels) {
        const ix0 = ox * g.strideWidth - g.padLeft;
        for (let fy = 0; fy < filterHeight; fy++) {
          const iy = iy0 + fy;
          if (iy < 0 || iy >= inHeight) {
            continue;
          }
          for (let fx = 0; fx < filterWidth; fx++) {
            const ix = ix0 + fx;
            if (ix < 0 || ix >= inWidth) {
              continue;
            }
            const xBase = xImage + iy * xRowFloats + ix * inChannels;
            const wBase = (fy * filterWidth + fx) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                sums[wBase + c] += xValues[xBase + c] * dyValues[d + c];
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const xv = xValues[xBase + c];
                const k = c * multiplier;
                for (let q = 0; q < multiplier; q++) {
                  sums[wBase + k + q] += xv * dyValues[d + k + q];
                }
              }
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo([...filterShape], 'float32', Float32Array.from(sums));
}

/** DepthwiseConv2dNativeBackpropFilter for NHWC float32 inputs without dilation. */
export const depthwiseConv2dBackpropFilterKernel: FastKernel = { kernelName: 'DepthwiseConv2dNativeBackpropFilter', run };
