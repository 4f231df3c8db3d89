import type { TensorInfo } from '@tensorflow/tfjs';
import { type CpuBackend, type FastKernel, type KernelArgs, float32Values } from './fast-kernel.ts';
import { poolInfo } from './pool-geometry.ts';

function run(args: KernelArgs): TensorInfo | null {
  const backend = args.backend as CpuBackend;
  const { dy, input } = args.inputs;
  const attrs = (args.attrs ?? {}) as Record<string, unknown>;
  if (dy === undefined || input === undefined || input.shape.length !== 4) {
    return null;
  }
  const xValues = float32Values(backend, input);
  const dyValues = float32Values(backend, dy);
  if (xValues === null || dyValues === null) {
    return null;
  }
  const info = poolInfo(input.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;

  // Each window sends its dy to the first position (in row-major window order) that contains
  // the window's maximum, as the stock kernel does. A window whose values are all NaN or
  // -Infinity has no such position, and its dy is dropped.
  const dx = new Float32Array(xValues.length);
  const best = new Float64Array(channels);
  const bestIndex = new Int32Array(channels);
  const xRowFloats = inWidth * channels;
  let d = 0;
  for (let b = 0; b < batchSize; b++) {
    const xImage = b * inHeight * xRowFloats;
    for (let oy = 0; oy < outHeight; oy++) {
      const iy0 = oy * strideHeight - padTop;
      const iyStart = Math.max(0, iy0);
      const iyEnd = Math.min(inHeight, iy0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++, d += channels) {
        const ix0 = ox * strideWidth - padLeft;
        const ixStart = Math.max(0, ix0);
        const ixEnd = Math.min(inWidth, ix0 + filterWidth);
        best.fill(-Infinity);
        bestIndex.fill(-1);
        for (let iy = iyStart; iy < iyEnd; iy++) {
          for (let ix = ixStart; ix < ixEnd; ix++) {
            const base = xImage + iy * xRowFloats + ix * channels;
            for (let c = 0; c < channels; c++) {
              const value = xValues[base + c];
              if (value > best[c]) {
                best[c] = value;
                bestIndex[c] = base + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) {
          const index = bestIndex[c];
          if (index >= 0) {
            dx[index] += dyValues[d + c];
          }
        }
      }
    }
  }
  return backend.makeTensorInfo([...input.shape], 'float32', dx);
}

/** MaxPoolGrad for NHWC float32 inputs. */
export const maxPoolGradKernel: FastKernel = { kernelName: 'MaxPoolGrad', run };
