import type { TensorInfo } from '@tensorflow/tfjs';
import { depthwiseGeometry } from './depthwise-geometry.ts';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values, isChannelsLast, isUnitDilation } from './fast-kernel.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { dy, filter } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  // Dilated calls stay with the stock kernel, as in DepthwiseConv2dNativeBackpropFilter.
  if (dy === undefined || filter === undefined || !isChannelsLast(attrs.dataFormat) || !isUnitDilation(attrs.dilations)) {
    return null;
  }
  const dyValues = float32Values(backend, dy);
  const filterValues = float32Values(backend, filter);
  if (dyValues === null || filterValues === null || dy.shape.length !== 4) {
    return null;
  }
  const inputShape = attrs.inputShape as [number, number, number, number];
  const g = depthwiseGeometry(inputShape, filter.shape, attrs);
  const { inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth, multiplier } = g;
  if (outHeight !== dy.shape[1] || outWidth !== dy.shape[2] || outChannels !== dy.shape[3]) {
    return null;
  }

  // Gathers, for each input pixel, the output pixels whose windows cover it: oy satisfies
  // oy * strideHeight - padTop + fy = iy for some filter row fy (and likewise for columns).
  const dx = new Float32Array(inputShape[0] * inHeight * inWidth * inChannels);
  const sums = new Float64Array(inChannels);
  const dyRowFloats = outWidth * outChannels;
  let o = 0;
  for (let b = 0; b < g.batch; b++) {
    const dyImage = b * outHeight * dyRowFloats;
    for (let iy = 0; iy < inHeight; iy++) {
      for (let ix = 0; ix < inWidth; ix++, o += inChannels) {
        sums.fill(0);
        for (let fy = 0; fy < filterHeight; fy++) {
          const ty = iy + g.padTop - fy;
          if (ty < 0 || ty % g.strideHeight !== 0) {
            continue;
          }
          const oy = ty / g.strideHeight;
          if (oy >= outHeight) {
            continue;
          }
          for (let fx = 0; fx < filterWidth; fx++) {
            const tx = ix + g.padLeft - fx;
            if (tx < 0 || tx % g.strideWidth !== 0) {
              continue;
            }
            const ox = tx / g.strideWidth;
            if (ox >= outWidth) {
              continue;
            }
            const dyBase = dyImage + oy * dyRowFloats + ox * outChannels;
            const fBase = (fy * filterWidth + fx) * outChannels;
            if (multiplier === 1) {
              for (let c = 0; c < inChannels; c++) {
                sums[c] += dyValues[dyBase + c] * filterValues[fBase + c];
              }
            } else {
              for (let c = 0; c < inChannels; c++) {
                const k = c * multiplier;
                let sum = 0;
                for (let q = 0; q < multiplier; q++) {
                  sum += dyValues[dyBase + k + q] * filterValues[fBase + k + q];
                }
                sums[c] += sum;
              }
            }
          }
        }
        for (let c = 0; c < inChannels; c++) {
          dx[o + c] = sums[c];
        }
      }
    }
  }
  return backend.makeTensorInfo([...inputShape], 'float32', dx);
}

/** DepthwiseConv2dNativeBackpropInput for NHWC float32 inputs without dilation. */
export const depthwiseConv2dBackpropInputKernel: FastKernel = { kernelName: 'DepthwiseConv2dNativeBackpropInput', run };
